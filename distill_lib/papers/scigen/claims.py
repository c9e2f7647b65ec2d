"""The claims of table reasoning distillation on SciGen that the claims ledger
(distill_lib.plots.ledger) tests.

`claims()`:
- the paper's claim: reasoning-augmented fine-tuning (the student learns an LLM teacher's
  reasoning, then the description) beats traditional fine-tuning (table -> description). Its
  training data is an LLM teacher's reasoning triples, so offline it is not testable: the row says
  so, whatever results/scigen/ holds.
- a control, not the paper's claim: the same comparison in the `cpu` grid, whose teacher is a small
  local model (SmolLM2-135M-Instruct, papers.scigen.labels); test BLEU, paired over the same test
  tables (the bootstrap of corpus BLEU from each record's per-table statistics). It tests the
  pipeline (does training on a small model's reasoning help or hurt this student?), not the paper.

`PROFILES` is the order in which results folders are read for the paper's claim on a GPU.

Deliberately left out: testing (the ledger does it) and numbers of ours.
"""

from __future__ import annotations

from distill_lib.papers.scigen.labels import LOCAL_TEACHER
from distill_lib.plots.ledger import Claim, Side

PROFILES = ("paper", "offline")
PAPER_SAYS = (
    "abstract [paper]: a 0.22B Flan-T5-base distilled on table reasoning improves significantly "
    "over traditionally fine-tuned baselines (tabledistill.md section 1)"
)


def claims() -> list[Claim]:
    """The SciGen rows: the paper's claim (not testable offline) and the cpu control."""
    return [
        Claim(
            paper="scigen",
            claim="Reasoning-augmented fine-tuning beats traditional fine-tuning",
            paper_says=PAPER_SAYS,
            missing=(
                "not testable offline: needs an LLM teacher (its reasoning triples are the "
                "training data); the cpu grid's local-teacher control is the next row"
            ),
        ),
        Claim(
            paper="scigen",
            claim=(
                "Control, not the paper's claim: reasoning from a small local teacher "
                "(reasoning-output mode) vs traditional fine-tuning, test BLEU"
            ),
            paper_says=PAPER_SAYS,
            base=Side("scigen_plain", metric="bleu"),
            other=Side("scigen_reasoning_output", metric="bleu"),
            profiles=("cpu",),
            missing=(
                "no scigen_reasoning_output cell in results/scigen/cpu: the small local "
                "teacher's answers gave no reasoning to learn (docs/grids/scigen-cpu.md)"
            ),
            note=LOCAL_TEACHER,
        ),
    ]
