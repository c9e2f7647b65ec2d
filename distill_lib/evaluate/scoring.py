"""Per-task scoring of generated text: one `Scorer` per task family, chosen by dataset name.

- DSS datasets: the label read back by the method, exact string match; SVAMP by arithmetic value with the safe
  evaluator and tolerance 1e-6 (`exact_svamp` for the reference's exact float equality).
- Math benchmarks: the generated thought verified by its format (CoT answer extraction, sandboxed program,
  equation solver), correct when within 1e-3 of the gold answer.
- SciGen: corpus metrics (distill_lib.metrics.scigen); `primary` is BLEU for checkpoint selection.

Deliberately left out: generation (distill_lib.evaluate.generate).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from distill_lib.data.dss import DSS_DATASETS, labels_match


def score_dss(dataset: str, records: Sequence[dict], labels: Sequence[str], exact_svamp: bool = False) -> dict:
    correct = [labels_match(dataset, pred, rec["label"], exact_svamp) for rec, pred in zip(records, labels,
                                                                                          strict=True)]
    return {"accuracy": 100.0 * sum(correct) / max(len(correct), 1), "n": len(correct), "correct": correct}


def score_math(records: Sequence[dict], outputs: Sequence[str], fmt: str, workers: int = 2) -> dict:
    from distill_lib.verify.answer import answers_match
    from distill_lib.verify.batch import verify_many

    results = verify_many(fmt, list(outputs), workers=workers)
    correct = [answers_match(r.answer, rec["answer"]) for r, rec in zip(results, records, strict=True)]
    failures: dict[str, int] = {}
    for r in results:
        if not r.ok:
            failures[r.status] = failures.get(r.status, 0) + 1
    return {"accuracy": 100.0 * sum(correct) / max(len(correct), 1), "n": len(correct), "correct": correct,
            "answers": [r.answer for r in results], "failures": failures}


def score_predictions(dataset: str, records: Sequence[dict], texts: Sequence[str], read_label: Any,
                      options: dict | None = None) -> dict:
    """Score generated `texts` for `records`; returns at least {'primary': float, 'n': int}."""
    options = options or {}
    if dataset in DSS_DATASETS:
        scores = score_dss(dataset, records, [read_label(t) for t in texts], options.get("exact_svamp", False))
        return {"primary": scores["accuracy"], **scores}
    if dataset.startswith("scigen"):
        from distill_lib.metrics.scigen import score_scigen

        refs = [r["label"] for r in records]
        metrics = score_scigen([read_label(t) for t in texts], refs, [r.get("table") for r in records],
                               options.get("metrics", {"metrics": ["bleu"]}))
        return {"primary": metrics["bleu"]["value"], "n": len(texts), "metrics": metrics}
    scores = score_math(records, texts, options["format"], options.get("workers", 2))
    return {"primary": scores["accuracy"], **scores}
