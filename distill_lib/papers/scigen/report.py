"""The SciGen evaluation report: every metric of the spec for each method's best checkpoint, in the
paper's layout.

`evaluate_scigen(cfg)` reads each grid cell's `predictions.jsonl` (written by run_cell from the
best-validation weights: id, format, prediction, label), joins it on `id` with the test records'
tables and calls `score_scigen` (BLEU, METEOR, BERTScore, MoverScore, BLEURT, TAPAS-Acc, TAPEX-Acc:
a value, or None with the reason). Predictions are scored raw; BLEU and METEOR are also given on
lower-cased, punctuation-split text (the reference's normalisation, labelled `normalised`).
References are the gold descriptions (spec §6 #10). `report_table` shapes it as systems x metrics
(mean over seeds; plots.figures.metric_bars draws it), and `example_generations` /
`teacher_examples` put generations beside their tables. The teacher row scores the teacher's own
statements on the test tables it was asked about (papers.scigen.teacher) with the same metrics.

Deliberately left out: scoring the students against the teacher's statements (references are gold).
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
from distill_lib.papers.index import load_splits
from distill_lib.papers.scigen.data import Table
from distill_lib.papers.scigen.methods import METHODS
from distill_lib.papers.scigen.metrics import score_scigen
from distill_lib.papers.scigen.teacher import teacher_statements
from distill_lib.runs import (
    cell_dir,
    grid_cell,
    read_jsonl,
    read_predictions,
    stage_dir,
    teacher_dir,
)

METRICS = ("bleu", "meteor", "bertscore", "moverscore", "bleurt", "tapas_acc", "tapex_acc")
NORMALISED = ("bleu", "meteor")
SYSTEMS = {
    "scigen_plain": "traditional fine-tuning (table -> description)",
    "scigen_reasoning_input": "distilled: table + teacher reasoning -> description",
    "scigen_reasoning_output": "distilled: table -> reasoning + description",
}
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
    splits = load_splits(cfg.replace({"data.dataset": dataset, "teacher.source": "released"}))
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
    """The teacher that answered (from the teacher stage's summary), else the configured model."""
    for dataset in cfg.grid.datasets:
        summary = teacher_dir(cfg, dataset) / "teacher_summary.json"
        if summary.exists():
            return Path(json.loads(summary.read_text())["model"]).name
    return cfg.teacher.model


def evaluate_scigen(
    cfg: ExperimentConfig, settings: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Scores of every finished grid cell, the cells skipped or missing, and the evaluation
    choices.
    """
    settings = settings if settings is not None else dataclasses.asdict(cfg.extra.report_metrics)
    systems, missing = [], []
    for dataset in cfg.grid.datasets:
        tests = test_records(cfg, dataset)
        for method in cfg.grid.methods:
            for seed in cfg.grid.seeds:
                cell = cell_dir(grid_cell(cfg, dataset, method, seed))
                if not (cell / "predictions.jsonl").exists():
                    missing.append(
                        {"dataset": dataset, "method": method, "seed": seed, "cell": str(cell)}
                    )
                    continue
                read_label = METHODS[method](cfg.method).read_label
                scores = score_cell(cell, tests, settings, read_label)
                systems.append({"dataset": dataset, "method": method, "seed": seed, **scores})
    return {
        "systems": systems,
        "missing": missing,
        "teacher": teacher_scores(cfg, settings),
        "reference": "gold descriptions ([CONTINUE] removed)",
        "checkpoint": "best validation (dev BLEU)",
        "test_inputs_with_teacher_reasoning": False,
        "settings": settings,
    }


def teacher_scores(cfg: ExperimentConfig, settings: dict[str, Any]) -> dict[str, Any]:
    """The teacher row: its statements on the test tables it answered, scored like a student's
    predictions."""
    entry: dict[str, Any] = {"model": teacher_model(cfg)}
    for dataset in cfg.grid.datasets:
        statements = teacher_statements(cfg, dataset)
        if statements is None:
            return {**entry, "reason": NO_TEACHER_TEST}
        entry.update(
            score_texts(statements, test_records(cfg, dataset), settings, f"teacher on {dataset}")
        )
        entry["reason"] = (
            f"the teacher's statements on the first {entry['n']} test tables (a table without a "
            "parsed statement scores as empty)"
        )
    return entry


def report_path(cfg: ExperimentConfig) -> Path:
    return stage_dir(cfg, "evaluate") / "metrics.json"


def write_report(cfg: ExperimentConfig, report: dict[str, Any]) -> Path:
    path = report_path(cfg)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2))
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


def report_table(report: dict[str, Any]) -> pd.DataFrame:
    """systems x metrics (mean over seeds), the paper's §7 layout; the teacher row last."""
    frame = pd.DataFrame(report["systems"])
    rows = {}
    for method in dict.fromkeys(frame["method"]) if len(frame) else []:
        runs = [s for s in report["systems"] if s["method"] == method]
        row = {m: cell_text(_mean_entry([r["raw"].get(m) for r in runs])) for m in METRICS}
        row.update(
            {
                f"{m} (normalised)": cell_text(_mean_entry([r["normalised"].get(m) for r in runs]))
                for m in NORMALISED
            }
        )
        rows[SYSTEMS.get(method, method)] = {**row, "seeds": len(runs)}
    columns = [*METRICS, *(f"{m} (normalised)" for m in NORMALISED)]
    teacher = report["teacher"]
    if "raw" in teacher:
        row = {m: cell_text(teacher["raw"].get(m)) for m in METRICS}
        row.update(
            {f"{m} (normalised)": cell_text(teacher["normalised"].get(m)) for m in NORMALISED}
        )
        rows[f"teacher ({teacher['model']}, {teacher['n']} tables)"] = {**row, "seeds": 1}
    else:
        rows[f"teacher ({teacher['model']})"] = {**{c: "not computed" for c in columns}, "seeds": 0}
    return pd.DataFrame.from_dict(rows, orient="index")


def metric_reasons(report: dict[str, Any]) -> dict[str, str]:
    """Why each metric that has no value was not computed (one line per metric)."""
    reasons = {"teacher row": report["teacher"]["reason"]}
    for system in report["systems"]:
        for name, entry in system["raw"].items():
            if entry["value"] is None:
                reasons.setdefault(name, entry["reason"])
    return reasons


def example_generations(cfg: ExperimentConfig, n: int = 2) -> list[dict[str, Any]]:
    """The first `n` test tables with their gold description and each method's prediction (first
    seed)."""
    dataset, seed = cfg.grid.datasets[0], cfg.grid.seeds[0]
    tests = test_records(cfg, dataset)
    cells = {m: cell_dir(grid_cell(cfg, dataset, m, seed)) for m in cfg.grid.methods}
    preds = {
        m: {r["id"]: r["prediction"] for r in read_predictions(c)}
        for m, c in cells.items()
        if (c / "predictions.jsonl").exists()
    }
    shown = []
    for record_id in list(tests)[:n]:
        record = tests[record_id]
        shown.append(
            {
                "id": record_id,
                "table": Table.from_dict(json.loads(record["table"])),
                "reference": record["label"],
                "predictions": {m: p.get(record_id, "") for m, p in preds.items()},
            }
        )
    return shown


def teacher_examples(cfg: ExperimentConfig, dataset: str, n: int = 2) -> list[dict[str, Any]]:
    """The teacher's raw answers and parsed triples beside the train tables they were asked
    about.
    """
    path = teacher_dir(cfg, dataset) / "teacher_outputs.jsonl"
    if not path.exists():
        return []
    rows = read_jsonl(path)[:n]
    train = load_splits(cfg.replace({"data.dataset": dataset, "teacher.source": "released"}))[
        "train"
    ]
    tables = {r["id"]: r["table"] for r in train if r["id"] in {row["id"] for row in rows}}
    return [
        {
            "id": row["id"],
            "table": Table.from_dict(json.loads(tables[row["id"]])),
            "completion": (row["completions"] or [""])[0],
            "triples": [t for p in row["parsed"] for t in p["fields"].get("triples", [])],
        }
        for row in rows
    ]
