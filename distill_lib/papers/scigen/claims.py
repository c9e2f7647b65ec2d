"""The claim of table reasoning distillation on SciGen that the claims ledger
(distill_lib.plots.ledger) tests.

`claims()`: reasoning-augmented fine-tuning (the student learns the teacher's reasoning, then the
description) beats traditional fine-tuning (table -> description). The students learn from an LLM
teacher's reasoning triples, so no offline grid exists; the row says so until a grid lands under
results/scigen/ (its scores are corpus metrics such as BLEU, so the ledger will then say that no
per-example outcomes are kept). `PROFILES` is the order in which results folders are read.

Deliberately left out: testing (the ledger does it) and numbers of ours.
"""

from __future__ import annotations

from distill_lib.plots.ledger import Claim, Side

PROFILES = ("paper", "offline")


def claims() -> list[Claim]:
    """The SciGen row of the ledger."""
    return [
        Claim(
            paper="scigen",
            claim="Reasoning-augmented fine-tuning beats traditional fine-tuning",
            paper_says=(
                "abstract [paper]: a 0.22B Flan-T5-base distilled on table reasoning improves "
                "significantly over traditionally fine-tuned baselines (tabledistill.md section 1)"
            ),
            base=Side("scigen_plain"),
            other=Side("scigen_reasoning_output"),
            profiles=PROFILES,
            missing=(
                "not testable offline: needs an LLM teacher (its reasoning triples are the "
                "training data); no grid under results/scigen/"
            ),
        )
    ]
