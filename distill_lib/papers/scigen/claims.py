"""The claims of table reasoning distillation on SciGen that the claims ledger
(distill_lib.plots.ledger) tests.

`claims()`:
- the paper's claim: reasoning-augmented fine-tuning (the student learns an LLM teacher's
  reasoning, then the description) beats traditional fine-tuning (table -> description). Its
  training data is an LLM teacher's reasoning triples, so offline it is not testable: the row says
  so, whatever results/scigen/ holds.
- two controls, not the paper's claim: each distilled mode against traditional fine-tuning in the
  `cpu` grid, whose teacher is a small local model (SmolLM2-135M-Instruct, papers.scigen.labels)
  whose answers follow no template, so the modes learn from its free text, unverified; test BLEU,
  paired over the same test tables (the bootstrap of corpus BLEU from each record's per-table
  statistics). They test the pipeline (does training on a small model's text help or hurt this
  student?), not the paper.

`PROFILES` is the order in which results folders are read for the paper's claim on a GPU.

Deliberately left out: testing (the ledger does it) and numbers of ours.
"""

from __future__ import annotations

from distill_lib.papers.scigen.labels import FREE_TEXT, LOCAL_TEACHER
from distill_lib.plots.ledger import Claim, Side

PROFILES = ("paper", "offline")
PAPER_SAYS = (
    "abstract [paper]: a 0.22B Flan-T5-base distilled on table reasoning improves significantly "
    "over traditionally fine-tuned baselines (tabledistill.md section 1)"
)


MODES = {"scigen_reasoning_input": "reasoning-input", "scigen_reasoning_output": "reasoning-output"}


def _control(method: str, mode: str) -> Claim:
    """The cpu grid's control for one distilled mode against traditional fine-tuning."""
    return Claim(
        paper="scigen",
        claim=(
            "Control, not the paper's claim: a small local teacher's free text "
            f"({mode} mode) vs traditional fine-tuning, test BLEU"
        ),
        paper_says=PAPER_SAYS,
        base=Side("scigen_plain", metric="bleu"),
        other=Side(method, metric="bleu"),
        profiles=("cpu",),
        missing=(
            f"no {method} cell in results/scigen/cpu yet: it learns from the small local "
            "teacher's free text, its answers following no template (docs/grids/scigen-cpu.md)"
        ),
        note=f"{LOCAL_TEACHER}; {FREE_TEXT}",
    )


def claims() -> list[Claim]:
    """The SciGen rows: the paper's claim (not testable offline) and the cpu controls."""
    return [
        Claim(
            paper="scigen",
            claim="Reasoning-augmented fine-tuning beats traditional fine-tuning",
            paper_says=PAPER_SAYS,
            missing=(
                "not testable offline: needs an LLM teacher (its reasoning triples are the "
                "training data); the cpu grid's local-teacher controls are the next rows"
            ),
        ),
        *(_control(method, mode) for method, mode in MODES.items()),
    ]
