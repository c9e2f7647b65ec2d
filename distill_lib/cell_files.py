"""What a cell's folder says about it when a grid comes back to it: its finished metrics (a corrupt
metrics.json is named, set aside and the cell recomputed), the temporaries a killed write left, and
the test scores rebuilt from predictions.jsonl, from which a finished cell whose result record is
missing (a run that did not write records, or a cell finished before records were written first)
writes it.

A cell's files are written in this order: predictions.jsonl, test_examples.json (the record's
per-example outcomes), the result record, metrics.json (the mark of a finished cell), so a kill at
any moment leaves either an unfinished cell that resumes from its checkpoint, or a finished one
whose record can be rebuilt exactly from metrics.json and test_examples.json (for older cells,
from predictions.jsonl, which lacks the outcomes of scores without texts).

Deliberately left out: running a cell and the record's layout (distill_lib.experiment,
distill_lib.results).
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path
from typing import Any

from distill_lib.jsonio import (
    CorruptFileWarning,
    read_json_or_set_aside,
    read_predictions,
    remove_temporaries,
    set_aside,
)

METRICS = "metrics.json"
TEST_EXAMPLES = "test_examples.json"  # the record's per-example outcomes, kept to rebuild it


def finished_metrics(out: Path, rename: bool = True) -> dict[str, Any] | None:
    """The metrics of a finished cell folder, or None (not finished; or its metrics.json was not a
    JSON object: named in a warning and, with `rename`, set aside so the cell runs again)."""
    metrics = read_json_or_set_aside(out / METRICS, rename=rename)
    if metrics is None or isinstance(metrics, dict):
        return metrics
    reason = f"{out / METRICS}: not a JSON object"
    if rename:
        set_aside(out / METRICS, reason)
    else:
        warnings.warn(f"{reason}; skipped", CorruptFileWarning, stacklevel=2)
    return None


def is_finished(out: Path) -> bool:
    """Whether the cell folder holds a metrics.json (not checked for validity)."""
    return (out / METRICS).exists()


def tidy_unfinished(out: Path, *targets: Path) -> list[Path]:
    """Before a cell (re)starts: remove the temporaries killed writes left in its folder and next
    to `targets` (its result record). Call it only while no other process works on the cell."""
    removed = remove_temporaries(*targets)
    for tmp in out.glob("*.tmp") if out.is_dir() else []:
        if tmp.is_file():  # checkpoint.tmp/ and best.tmp/ are the checkpoint writer's to deal with
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def tidy_finished(out: Path) -> None:
    """Remove a finished cell's checkpoint (a kill can land between metrics.json and its
    removal)."""
    shutil.rmtree(out / "checkpoint", ignore_errors=True)


def saved_test_examples(out: Path) -> dict[str, Any] | None:
    """The per-example test outcomes the cell saved for its record (None when absent or corrupt:
    a corrupt one is named and set aside)."""
    saved = read_json_or_set_aside(out / TEST_EXAMPLES)
    return saved if isinstance(saved, dict) else None


def scores_from_predictions(out: Path) -> tuple[list[dict[str, Any]], dict[str, Any]] | None:
    """(test records as id and label, scores per format with texts / correct / answers) rebuilt
    from the cell's predictions.jsonl, in the shapes cell_scores.per_example takes; None (with a
    warning) when the file is missing or unreadable."""
    try:
        rows = read_predictions(out)
    except (FileNotFoundError, ValueError) as err:
        note = f"{err}; the record is written without per-example outcomes"
        warnings.warn(note, CorruptFileWarning, stacklevel=2)
        return None
    if not rows:
        return [], {}
    first = rows[0]["format"]
    records = [{"id": r["id"], "label": r["label"]} for r in rows if r["format"] == first]
    scores: dict[str, Any] = {}
    for row in rows:
        value = scores.setdefault(row["format"], {"texts": []})
        value["texts"].append(row["prediction"])
        if "correct" in row:
            value.setdefault("correct", []).append(row["correct"])
        if "answer" in row:
            value.setdefault("answers", []).append(row["answer"])
    return records, scores
