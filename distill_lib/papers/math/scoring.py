"""Math scoring: each generated thought verified by its format (chain-of-thought answer extraction,
sandboxed program, equation solver), correct when within 1e-3 of the gold answer.

Deliberately left out: generation (distill_lib.evaluate.generate) and the ETD ensembles
(papers.math.report).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from distill_lib.config import ExperimentConfig
from distill_lib.methods import Method
from distill_lib.verify.answer import answers_match
from distill_lib.verify.batch import verify_many


def score_thoughts(
    records: Sequence[dict], outputs: Sequence[str], fmt: str, workers: int = 2
) -> dict[str, Any]:
    """Accuracy (%) of verified answers, the answers, and the failure counts by status."""
    results = verify_many(fmt, list(outputs), workers=workers)
    correct = [
        answers_match(r.answer, rec["answer"]) for r, rec in zip(results, records, strict=True)
    ]
    failures: dict[str, int] = {}
    for r in results:
        if not r.ok:
            failures[r.status] = failures.get(r.status, 0) + 1
    return {
        "accuracy": 100.0 * sum(correct) / max(len(correct), 1),
        "n": len(correct),
        "correct": correct,
        "answers": [r.answer for r in results],
        "failures": failures,
    }


def score(
    cfg: ExperimentConfig, records: Sequence[dict], texts: Sequence[str], method: Method, fmt: str
) -> dict[str, Any]:
    scores = score_thoughts(records, texts, fmt, cfg.extra.verify_workers)
    return {"primary": scores["accuracy"], **scores}
