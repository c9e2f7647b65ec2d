"""DSS scoring: the label read back by the method, exact string match; SVAMP by arithmetic value
with the safe evaluator and tolerance 1e-6 (`extra.exact_svamp` for the reference's exact float
equality).

Deliberately left out: generation (distill_lib.evaluate.generate).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from distill_lib.config import ExperimentConfig
from distill_lib.methods import Method
from distill_lib.papers.dss.data import labels_match


def score_labels(
    dataset: str, records: Sequence[dict], labels: Sequence[str], exact_svamp: bool = False
) -> dict[str, Any]:
    """Accuracy (%) of `labels` against the records' gold labels, with the per-example outcome."""
    correct = [
        labels_match(dataset, pred, rec["label"], exact_svamp)
        for rec, pred in zip(records, labels, strict=True)
    ]
    return {
        "accuracy": 100.0 * sum(correct) / max(len(correct), 1),
        "n": len(correct),
        "correct": correct,
    }


def score(
    cfg: ExperimentConfig, records: Sequence[dict], texts: Sequence[str], method: Method, fmt: str
) -> dict[str, Any]:
    scores = score_labels(
        cfg.data.dataset, records, [method.read_label(t) for t in texts], cfg.extra.exact_svamp
    )
    return {"primary": scores["accuracy"], **scores}
