"""The SciGen / table-reasoning metric suite: every metric of the spec, each with a value or the
reason it has none.

`score_scigen(preds, refs, tables, settings)` returns {metric: {"value": float | None, "reason":
str, ...details}} for bleu, meteor, bertscore, moverscore, bleurt, tapas_acc, tapex_acc (+
tapex_acc_paper_compat when asked). Empty predictions are replaced by the literal "empty" first
(reference behaviour). Settings (all optional):
  metrics            names to compute (default: all); the others are omitted from the result
  bertscore_model    local dir or hub id (default roberta-large)
  bertscore_num_layers   the layer to score with (roberta-large: 17)
  tapas_model, tapex_model   local dirs or hub ids (defaults: the TabFact checkpoints)
  tapex_paper_compat also score TAPEX on DistillTableCoT's one-row table (default False)
  batch_size, device

`score` (checkpoint selection and the cells' test passes) also carries, for a distilled mode whose
teacher is a small local model, the label of papers.scigen.labels (`teacher_note`), so every cell's
metrics and result record say where its reasoning came from.

Deliberately left out: MoverScore and BLEURT are reported as not computed (reasons in NOT_COMPUTED),
and text normalisation (lower-casing / punctuation splitting) is the caller's choice: score raw and
normalised text separately and label them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

from distill_lib.config import ExperimentConfig
from distill_lib.data.table import Table
from distill_lib.methods import Method
from distill_lib.metrics.faithfulness import tapas_acc, tapex_acc
from distill_lib.metrics.text import (
    MetricResult,
    bertscore,
    bleu_example_stats,
    bleu_with_signature,
    meteor,
)
from distill_lib.papers.scigen.labels import teacher_note
from distill_lib.papers.scigen.options import MetricSettings

NOT_COMPUTED = {
    "moverscore": (
        "not computed: the only pip implementation (moverscore 1.0.3, 2020, unmaintained) "
        "hard-codes cuda:0, uses removed numpy/transformers APIs and downloads "
        "distilbert-base-uncased from the hub at import; the spec asks for a port of "
        "moverscore_v2.py, which is not done yet"
    ),
    "bleurt": (
        "not computed: BLEURT needs a checkpoint (BLEURT-20) from the hub or Google storage; "
        "the pip packages (google-research/bleurt is git-only, TensorFlow; bleurt-pytorch 0.0.1) "
        "do not ship weights"
    ),
}
DEFAULT_SETTINGS: dict[str, Any] = asdict(MetricSettings())  # see papers.scigen.options


def as_table(table: Table | str | dict[str, Any], index: int) -> Table:
    """A Table from a Table, its to_dict() or the JSON string stored in the records' `table`
    column.
    """
    if isinstance(table, Table):
        return table
    try:
        data = json.loads(table) if isinstance(table, str) else table
        return Table.from_dict(data)
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise ValueError(
            f"tables[{index}]: not a Table, Table dict or its JSON string ({err})"
        ) from err


def _bleu_result(preds: list[str], refs: list[str]) -> MetricResult:
    value, signature = bleu_with_signature(preds, refs)
    return MetricResult("bleu", value, details={"signature": signature})


def _metric_runners(
    preds: list[str], refs: list[str], tables: list[Table], cfg: dict[str, Any]
) -> dict[str, Callable[[], MetricResult]]:
    batch, device = cfg["batch_size"], cfg["device"]
    runners: dict[str, Callable[[], MetricResult]] = {
        "bleu": lambda: _bleu_result(preds, refs),
        "meteor": lambda: meteor(preds, refs),
        "bertscore": lambda: bertscore(
            preds, refs, cfg["bertscore_model"], cfg["bertscore_num_layers"], device=device
        ),
        "tapas_acc": lambda: tapas_acc(preds, tables, cfg["tapas_model"], batch, device),
        "tapex_acc": lambda: tapex_acc(preds, tables, cfg["tapex_model"], batch, device),
    }
    if cfg["tapex_paper_compat"]:
        runners["tapex_acc_paper_compat"] = lambda: tapex_acc(
            preds, tables, cfg["tapex_model"], batch, device, paper_compat=True
        )
    for name, reason in NOT_COMPUTED.items():
        runners[name] = lambda name=name, reason=reason: MetricResult(name, None, reason)
    return runners


def score_scigen(
    preds: list[str],
    refs: list[str],
    tables: list[Table | str | dict[str, Any]],
    settings: dict[str, Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """All SciGen metrics for aligned (prediction, reference, table) triples."""
    unknown = sorted(set(settings or {}) - set(DEFAULT_SETTINGS))
    if unknown:
        raise ValueError(
            f"score_scigen: unknown setting(s) {unknown}; known: {sorted(DEFAULT_SETTINGS)}"
        )
    cfg = {**DEFAULT_SETTINGS, **(settings or {})}
    if not len(preds) == len(refs) == len(tables):
        raise ValueError(
            f"score_scigen: {len(preds)} predictions, {len(refs)} references, {len(tables)} "
            "tables; "
            "they must be aligned one to one"
        )
    preds = nonempty(preds)
    table_objects = [as_table(t, i) for i, t in enumerate(tables)]
    runners = _metric_runners(preds, refs, table_objects, cfg)
    wanted = cfg["metrics"] or list(runners)
    missing = sorted(set(wanted) - set(runners))
    if missing:
        raise ValueError(f"score_scigen: unknown metric(s) {missing}; available: {sorted(runners)}")
    results = {}
    for name in wanted:
        result = asdict(runners[name]())
        results[name] = {"value": result["value"], "reason": result["reason"], **result["details"]}
    return results


def nonempty(preds: Sequence[str]) -> list[str]:
    """Predictions as scored: an empty one becomes "empty" (SciGen's evaluation scores no empty
    string)."""
    return [p if p.strip() else "empty" for p in preds]


def score(
    cfg: ExperimentConfig, records: Sequence[dict], texts: Sequence[str], method: Method, fmt: str
) -> dict[str, Any]:
    """Checkpoint-selection scores: `extra.selection_metrics` (default BLEU); `primary` is the first
    of them."""
    wanted = list(cfg.extra.selection_metrics)
    preds, refs = [method.read_label(t) for t in texts], [r["label"] for r in records]
    metrics = score_scigen(preds, refs, [r.get("table") for r in records], {"metrics": wanted})
    # per-example BLEU statistics: a paired bootstrap over test tables (plots.compare) sums them
    stats = {"bleu": bleu_example_stats(nonempty(preds), refs)} if "bleu" in wanted else {}
    note = teacher_note(cfg, cfg.method.name)
    return {
        "primary": metrics[wanted[0]]["value"],
        "n": len(texts),
        "metrics": metrics,
        **({"example_stats": stats} if stats else {}),
        **({"teacher_note": note} if note else {}),
    }
