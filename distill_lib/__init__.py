"""distill_lib: reproducible distillation of LLM reasoning into small language models.

One pipeline for three papers (Distilling step-by-step, EoTD/ETD, table reasoning on SciGen): data
-> teacher rationales -> verified records -> student training -> generation and scoring -> figures.
Notebooks and the CLI call this library; it never imports a notebook or a specific experiment
config.
"""

__version__ = "0.1.0"
