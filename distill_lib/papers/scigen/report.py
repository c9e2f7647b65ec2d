"""The SciGen evaluation report: every metric of the spec for each cell of the grid, in the paper's
layout.

`evaluate_scigen(cfg)` reads the `predictions.jsonl` of every cell of the grid (runs.grid_cells:
the untrained row, each method and seed, the extra seeds; written by run_cell from the tested
weights, the last ones under `train.select: last`: id, format, prediction, label), joins it on `id`
with the test records' tables and calls `score_scigen` (BLEU, METEOR, BERTScore, MoverScore, BLEURT,
TAPAS-Acc, TAPEX-Acc: a value, or None with the reason). Predictions are scored raw; BLEU and
METEOR are also given on lower-cased, punctuation-split text (the reference's normalisation,
labelled `normalised`). References are the gold descriptions (spec §6 #10). `report_table` shapes
it as systems x metrics (mean over seeds; plots.figures.metric_bars draws it). `write_report` saves
it in the run folder and, for a real profile, its values per cell key (no texts) as the committed
stage record `stages/test-metrics.json`, from which `make figures` shows METEOR. The teacher row
scores the teacher's own text on the test tables it was asked about (papers.scigen.teacher,
`extra.teacher_row`) with the same metrics. Rows of the distilled modes and the teacher row carry
the local-teacher label (papers.scigen.labels) when the teacher is a small local model.

Deliberately left out: scoring the students against the teacher's statements (references are gold),
and generations shown beside their tables (papers.scigen.examples).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from distill_lib.config import ExperimentConfig
from distill_lib.data.records import limit_splits
from distill_lib.papers.scigen.labels import (
    answered_by,
    local_teacher,
    reads_free_text,
    system_label,
    teacher_label,
    teacher_note,
)
from distill_lib.papers.scigen.methods import METHODS
from distill_lib.papers.scigen.metrics import score_scigen
from distill_lib.papers.scigen.splits import load_scigen_splits
from distill_lib.papers.scigen.teacher import teacher_predictions
from distill_lib.results import write_stage_result
from distill_lib.runs import (
    cell_dir,
    cell_key,
    grid_cells,
    read_predictions,
    stage_dir,
)

METRICS = ("bleu", "meteor", "bertscore", "moverscore", "bleurt", "tapas_acc", "tapex_acc")
NORMALISED = ("bleu", "meteor")
EMBEDDED = "embedded SmolLM2-135M-Instruct"  # what teacher.base_url: embedded serves
NO_TEACHER_TEST = (
    "not computed: the teacher has not been run on the test tables "
    "(run the teacher stage, notebook 10)"
)
_TOKEN = re.compile(r"\w+|[^\w\s]")


def normalise(text: str) -> str:
    """Lower-cased, punctuation split from words (the reference writes predictions and targets this
    way)."""
    return " ".join(_TOKEN.findall(text.lower()))


def test_records(cfg: ExperimentConfig, dataset: str) -> dict[str, dict[str, Any]]:
    """The (limited) test records of `dataset` by id; the teacher does not touch test, so none is
    needed."""
    released = cfg.replace({"data.dataset": dataset, "teacher.source": "released"})
    splits = limit_splits(load_scigen_splits(released), released.data)
    return {r["id"]: r for r in splits["test"]}


def score_cell(
    cell: Path,
    tests: dict[str, dict[str, Any]],
    settings: dict[str, Any],
    read_label: Callable[[str], str] = str.strip,
) -> dict[str, Any]:
    """All metrics of one cell's test predictions (raw), plus BLEU/METEOR on normalised text.
    `read_label` is the cell's method's: a `scigen_reasoning_output` student writes its reasoning
    first, and only the description after `Description:` is scored, as during checkpoint
    selection."""
    rows = [{**r, "prediction": read_label(r["prediction"])} for r in read_predictions(cell)]
    return score_texts({r["id"]: r["prediction"] for r in rows}, tests, settings, str(cell))


def score_texts(
    predictions: dict[str, str],
    tests: dict[str, dict[str, Any]],
    settings: dict[str, Any],
    where: str,
) -> dict[str, Any]:
    """All metrics of predictions by test id (raw), plus BLEU/METEOR on normalised text."""
    unknown = [i for i in predictions if i not in tests]
    if unknown:
        raise ValueError(f"{where}: prediction ids not among the test records, e.g. {unknown[:3]}")
    preds, refs = list(predictions.values()), [tests[i]["label"] for i in predictions]
    tables = [tests[i]["table"] for i in predictions]
    raw = score_scigen(preds, refs, tables, settings)
    normalised = score_scigen(
        [normalise(p) for p in preds],
        [normalise(r) for r in refs],
        tables,
        {**settings, "metrics": list(NORMALISED)},
    )
    return {"n": len(preds), "raw": raw, "normalised": normalised}


def teacher_model(cfg: ExperimentConfig) -> str:
    """The teacher that answered (from the teacher stage's summary), else the configured one."""
    model = answered_by(cfg)
    if model:
        return Path(model).name
    return EMBEDDED if cfg.teacher.base_url == "embedded" else cfg.teacher.model


def checkpoint_text(cfg: ExperimentConfig) -> str:
    """Which weights the cells tested, in words."""
    if cfg.train.select == "last":
        return "the last step (train.select: last; validation recorded, not used to pick)"
    return f"the best-validation checkpoint, dev {cfg.extra.selection_metrics[0]}"


def _system(cell: ExperimentConfig, local: bool) -> dict[str, Any]:
    """A grid cell's identity in the report: dataset, method, seed, untrained, row name, label."""
    method, untrained = cell.method.name, cell.train.max_steps == 0
    note = "" if untrained else teacher_note(cell, method)
    return {
        "dataset": cell.data.dataset,
        "method": method,
        "seed": cell.train.seed,
        "untrained": untrained,
        "key": cell_key(cell),
        "system": system_label(method, local, untrained, reads_free_text(cell)),
        **({"teacher_note": note} if note else {}),
    }


def evaluate_scigen(
    cfg: ExperimentConfig, settings: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Scores of every finished grid cell, the cells skipped or missing, and the evaluation
    choices.
    """
    settings = settings if settings is not None else dataclasses.asdict(cfg.extra.report_metrics)
    systems, missing, tests = [], [], {}
    local = local_teacher(cfg)
    for cell in grid_cells(cfg):
        entry, folder = _system(cell, local), cell_dir(cell)
        if not (folder / "predictions.jsonl").exists():
            missing.append({**entry, "cell": str(folder)})
            continue
        dataset = cell.data.dataset
        tests.setdefault(dataset, test_records(cfg, dataset))
        read_label = METHODS[cell.method.name](cell.method).read_label
        systems.append({**entry, **score_cell(folder, tests[dataset], settings, read_label)})
    return {
        "systems": systems,
        "missing": missing,
        "teacher": teacher_scores(cfg, settings),
        "reference": "gold descriptions ([CONTINUE] removed)",
        "checkpoint": checkpoint_text(cfg),
        "test_inputs_with_teacher_reasoning": False,
        "settings": settings,
    }


def teacher_scores(cfg: ExperimentConfig, settings: dict[str, Any]) -> dict[str, Any]:
    """The teacher row: its text (extra.teacher_row) on the test tables it answered, scored like a
    student's predictions."""
    entry: dict[str, Any] = {"model": teacher_model(cfg), "local": local_teacher(cfg)}
    what = "statements" if cfg.extra.teacher_row == "statements" else "descriptions"
    for dataset in cfg.grid.datasets:
        texts = teacher_predictions(cfg, dataset)
        if texts is None:
            return {**entry, "reason": NO_TEACHER_TEST}
        entry.update(
            score_texts(texts, test_records(cfg, dataset), settings, f"teacher on {dataset}")
        )
        entry["reason"] = (
            f"the teacher's {what} on the first {entry['n']} test tables (a table without a "
            f"parsed {what[:-1]} scores as empty)"
        )
    return entry


def report_path(cfg: ExperimentConfig) -> Path:
    return stage_dir(cfg, "evaluate") / "metrics.json"


def write_report(cfg: ExperimentConfig, report: dict[str, Any]) -> Path:
    """The report in the run folder; for a real profile also its values per cell key as the stage
    record `test-metrics` (distill_lib.results.write_stage_result)."""
    path = report_path(cfg)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2))
    values = [
        {
            **{k: s[k] for k in ("key", "method", "seed", "untrained", "n")},
            **{kind: {m: e["value"] for m, e in s[kind].items()} for kind in ("raw", "normalised")},
        }
        for s in report["systems"]
    ]
    teacher = {k: v for k, v in report["teacher"].items() if k in ("model", "n")}
    if "raw" in report["teacher"]:
        teacher["raw"] = {m: e["value"] for m, e in report["teacher"]["raw"].items()}
    payload = {"cells": values, "teacher": teacher, "reasons": metric_reasons(report)}
    write_stage_result(cfg, "test-metrics", payload)
    return path


def read_report(cfg: ExperimentConfig) -> dict[str, Any]:
    path = report_path(cfg)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run notebooks/12_scigen_evaluate.ipynb first")
    return json.loads(path.read_text())


def cell_text(metric: dict[str, Any] | None, digits: int = 2) -> str:
    """A metric entry as a table cell: the rounded value, or 'not computed' (reasons:
    `metric_reasons`)."""
    if metric is None:
        return "n/a"
    return "not computed" if metric["value"] is None else f"{metric['value']:.{digits}f}"


def _mean_entry(entries: list[dict[str, Any] | None]) -> dict[str, Any] | None:
    if any(e is None for e in entries):  # a metric left out by the settings
        return None
    values = [e["value"] for e in entries if e["value"] is not None]
    value = sum(values) / len(values) if values and len(values) == len(entries) else None
    return {"value": value, "reason": entries[0]["reason"]}


def _row(entries: list[dict[str, Any]]) -> dict[str, str]:
    """One table row: each metric's mean over `entries` (raw, then normalised BLEU / METEOR)."""
    row = {m: cell_text(_mean_entry([e["raw"].get(m) for e in entries])) for m in METRICS}
    row.update(
        {
            f"{m} (normalised)": cell_text(_mean_entry([e["normalised"].get(m) for e in entries]))
            for m in NORMALISED
        }
    )
    return row


def _system_name(system: dict[str, Any]) -> str:
    """A report entry's row name (reports written before row names were stored: the method's)."""
    if "system" in system:
        return system["system"]
    return system_label(system["method"], False, system.get("untrained", False))


def report_table(report: dict[str, Any]) -> pd.DataFrame:
    """systems x metrics (mean over seeds), the paper's §7 layout; the teacher row last."""
    rows = {}
    names = [_system_name(s) for s in report["systems"]]
    for name in dict.fromkeys(names):
        runs = [s for s, n in zip(report["systems"], names, strict=True) if n == name]
        rows[name] = {**_row(runs), "seeds": len(runs)}
    columns = [*METRICS, *(f"{m} (normalised)" for m in NORMALISED)]
    teacher = report["teacher"]
    local = teacher.get("local", False)
    if "raw" in teacher:
        rows[teacher_label(teacher["model"], teacher["n"], local)] = {**_row([teacher]), "seeds": 1}
    else:
        missing = {c: "not computed" for c in columns}
        rows[teacher_label(teacher["model"], None, local)] = {**missing, "seeds": 0}
    return pd.DataFrame.from_dict(rows, orient="index")


def metric_reasons(report: dict[str, Any]) -> dict[str, str]:
    """Why each metric that has no value was not computed (one line per metric)."""
    reasons = {"teacher row": report["teacher"]["reason"]}
    for system in report["systems"]:
        for name, entry in system["raw"].items():
            if entry["value"] is None:
                reasons.setdefault(name, entry["reason"])
    return reasons
