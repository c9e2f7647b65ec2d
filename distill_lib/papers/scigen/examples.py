"""Generations beside their tables, for the SciGen notebooks to display.

`example_generations(cfg, n)`: the first `n` test tables with the gold description and each
method's prediction from its first-seed cell, with the local-teacher label of each method (notebook
13). `committed_examples(cfg, records, n)`: the same from the committed records' stored
predictions, as markdown for the results page that `make figures` renders.
`teacher_examples(cfg, dataset, n)`: the teacher's raw answers and parsed triples beside the
training tables it was asked about (notebook 10).

Deliberately left out: scoring (papers.scigen.report) and display itself (the notebooks).
"""

from __future__ import annotations

import json
from typing import Any

from distill_lib.config import ExperimentConfig
from distill_lib.data.records import limit_splits
from distill_lib.papers.scigen.data import Table
from distill_lib.papers.scigen.labels import (
    LOCAL_TEACHER,
    UNTRAINED,
    local_teacher,
    reads_free_text,
    system_label,
    teacher_note,
)
from distill_lib.papers.scigen.methods import METHODS
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


CUT = 300  # characters of a description shown


def _first_seed(records: list[dict[str, Any]], methods: list[str]) -> dict[str, dict[str, Any]]:
    """Per system (UNTRAINED for the step-0 row, then `methods` in order), its lowest-seed record
    that kept its predictions (else its lowest-seed record)."""
    chosen: dict[str, dict[str, Any]] = {}
    kept_first = sorted(
        records,
        key=lambda r: (isinstance(r["test_examples"]["predictions"], str), r["metrics"]["seed"]),
    )
    for record in kept_first:
        metrics = record["metrics"]
        chosen.setdefault(UNTRAINED if metrics.get("untrained") else metrics["method"], record)
    return {name: chosen[name] for name in (UNTRAINED, *methods) if name in chosen}


def committed_examples(cfg: ExperimentConfig, records: list[dict[str, Any]], n: int = 2) -> str:
    """Markdown: the first `n` test tables (caption, first rows, markup removed), the gold
    description and each system's prediction from its lowest-seed committed record that kept its
    predictions (a `scigen_reasoning_output` student's description after its tag; the reason when
    none kept them), each cut to CUT characters."""
    dataset, local = cfg.grid.datasets[0], local_teacher(cfg)
    tests, lines = test_records(cfg, dataset), []
    systems = _first_seed(records, cfg.grid.methods)
    for record_id in list(tests)[:n]:
        table = Table.from_dict(json.loads(tests[record_id]["table"]))
        lines += [f"**{record_id}**: {table.caption}", ""]
        lines += [table.clean().to_frame().head(6).to_markdown(index=False), ""]
        lines.append(f"- gold: {tests[record_id]['label'][:CUT]}")
        lines += [_generation(cfg, name, rec, record_id, local) for name, rec in systems.items()]
        lines.append("")
    return "\n".join(lines)


def _generation(
    cfg: ExperimentConfig, name: str, record: dict[str, Any], record_id: str, local: bool
) -> str:
    """One system's line: its row name, seed and description of test table `record_id` (the
    reason instead when its record did not keep its predictions)."""
    method, seed = cfg.grid.methods[0] if name == UNTRAINED else name, record["metrics"]["seed"]
    cell = grid_cell(cfg, cfg.grid.datasets[0], method, seed)
    stored = record["test_examples"]["predictions"]
    if isinstance(stored, dict):  # else the reason they were not kept
        (texts,) = stored.values()
        shown = dict(zip(record["test_examples"]["ids"], texts, strict=True))
        stored = METHODS[method](cell.method).read_label(shown.get(record_id, ""))[:CUT]
    label = system_label(method, local, name == UNTRAINED, reads_free_text(cell))
    return f"- {label}, seed {seed}: {stored}"


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
