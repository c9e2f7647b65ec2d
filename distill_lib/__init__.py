"""distill_lib: reproducible distillation of LLM reasoning into small language models.

One pipeline for three papers (Distilling step-by-step, EoTD/ETD, table reasoning on SciGen):
data -> teacher rationales -> verified records -> student training -> generation and scoring -> figures.
"""

__version__ = "0.1.0"
