"""Generations beside their tables, for the SciGen notebooks to display.

`example_generations(cfg, n)`: the first `n` test tables with the gold description and each
method's prediction from its first-seed cell, with the local-teacher label of each method (notebook
13). `teacher_examples(cfg, dataset, n)`: the teacher's raw answers and parsed triples beside the
training tables it was asked about (notebook 10).

Deliberately left out: scoring (papers.scigen.report) and display itself (the notebooks).
"""

from __future__ import annotations

import json
from typing import Any

from distill_lib.config import ExperimentConfig
from distill_lib.data.records import limit_splits
from distill_lib.papers.scigen.data import Table
from distill_lib.papers.scigen.labels import LOCAL_TEACHER, local_teacher, teacher_note
from distill_lib.papers.scigen.report import test_records
from distill_lib.papers.scigen.splits import load_scigen_splits
from distill_lib.runs import cell_dir, grid_cell, read_jsonl, read_predictions, teacher_dir


def example_generations(cfg: ExperimentConfig, n: int = 2) -> list[dict[str, Any]]:
    """The first `n` test tables with their gold description, each method's prediction (first
    seed) and, per method, its local-teacher label ('' when none is due)."""
    dataset, seed = cfg.grid.datasets[0], cfg.grid.seeds[0]
    tests = test_records(cfg, dataset)
    configs = {m: grid_cell(cfg, dataset, m, seed) for m in cfg.grid.methods}
    cells = {m: cell_dir(c) for m, c in configs.items()}
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
                "notes": {m: teacher_note(configs[m], m) for m in preds},
            }
        )
    return shown


def teacher_examples(cfg: ExperimentConfig, dataset: str, n: int = 2) -> list[dict[str, Any]]:
    """The teacher's raw answers and parsed triples beside the train tables they were asked
    about, with the local-teacher label ('' when none is due).
    """
    path = teacher_dir(cfg, dataset) / "teacher_outputs.jsonl"
    if not path.exists():
        return []
    rows = read_jsonl(path)[:n]
    released = cfg.replace({"data.dataset": dataset, "teacher.source": "released"})
    train = limit_splits(load_scigen_splits(released), released.data)["train"]
    tables = {r["id"]: r["table"] for r in train if r["id"] in {row["id"] for row in rows}}
    note = LOCAL_TEACHER if local_teacher(cfg) else ""
    return [
        {
            "id": row["id"],
            "note": note,
            "table": Table.from_dict(json.loads(tables[row["id"]])),
            "completion": (row["completions"] or [""])[0],
            "triples": [t for p in row["parsed"] for t in p["fields"].get("triples", [])],
        }
        for row in rows
    ]
