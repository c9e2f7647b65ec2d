"""Add to committed result records what newer code stores at the end of a cell, computed from the
cell's own saved predictions (no re-run): the paper's summary (`metrics.summary`, e.g. math accuracy
per benchmark and the ETD extensions), the per-example gold labels and verified answers, and the
teacher stage's record.

    python scripts/add_summaries.py --experiment math --profile cpu --runs /path/to/runs

For each record without a summary, the cell folder `<runs>/<experiment>/<profile>/cells/<key>/` must
hold the `predictions.jsonl` the cell wrote; the record gains `metrics.summary` and
`summary_added_from` (that path, relative to the run root), and its test_examples gain `labels`
and `answers`. The teacher stage's stats (`<runs>/.../teacher/math/<pool>/ stats.json`) become
`stages/teacher-<pool>.json`.
Anything missing stops with the path named.

Deliberately left out: changing a metric that is already recorded.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from distill_lib.papers.math.report import read_math_predictions, summary_of_rows
from distill_lib.runs import read_json, results_dir, write_json


def enrich(path: Path, cells: Path) -> bool:
    record = read_json(path)
    if record["metrics"].get("summary"):
        return False
    predictions = cells / record["key"] / "predictions.jsonl"
    if not predictions.exists():
        raise SystemExit(f"{path}: no predictions at {predictions}")
    rows = read_math_predictions(predictions)
    record["metrics"]["summary"] = summary_of_rows(rows)
    record["summary_added_from"] = str(predictions.relative_to(cells.parents[2]))
    examples = record.setdefault("test_examples", {})
    first_format = rows[0]["format"]
    examples["labels"] = [r["label"] for r in rows if r["format"] == first_format]
    examples["answers"] = {
        f: [r["answer"] for r in rows if r["format"] == f]
        for f in dict.fromkeys(r["format"] for r in rows)
    }
    write_json(path, record)
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", default="math")
    parser.add_argument("--profile", required=True)
    parser.add_argument("--runs", type=Path, required=True)
    args = parser.parse_args()
    base = args.runs / args.experiment / args.profile
    folder = results_dir(args.experiment, args.profile)
    done = [
        p
        for p in sorted(folder.rglob("*.json"))
        if "stages" not in p.parts and enrich(p, base / "cells")
    ]
    for stats in sorted((base / "teacher" / "math").glob("*/stats.json")):
        record = {
            "stage": f"teacher-{stats.parent.name}",
            "stats": read_json(stats),
            "added_from": str(stats),
        }
        write_json(folder / "stages" / f"teacher-{stats.parent.name}.json", record)
    print(f"{len(done)} record(s) given a summary")


if __name__ == "__main__":
    main()
