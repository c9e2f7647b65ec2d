"""Math evaluation read back from a cell's `predictions.jsonl`: accuracy per benchmark and thought
format, and the two labelled ETD extensions (eotd.md §2.6: NOT the paper's method, which reports
each thought separately).

- fallback: take the PoT answer; when its verification failed (no answer), the EoT answer; then the
  CoT answer.
- vote: majority over the three verified answers (answers within 1e-3 count as equal); ties go to
  the answer with the best priority pot > eot > cot; no answer at all counts as wrong.
Rows come from `distill_lib.experiment` (id, format, prediction, label, correct, answer); math test
ids are `<benchmark>/<id>` (distill_lib.papers.math.splits), so every number here can be split by
benchmark. `math_results(cfg)` gathers the math cells of cfg's grid into one long table;
`paper_vs_ours` sets it beside the spec's reference points (configs/references/math.yaml, each with
its source tag).

Deliberately left out: generation and verification (the cell already stored the verified answers).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from distill_lib.config import PROJECT_ROOT, ExperimentConfig
from distill_lib.runs import cell_dir, grid_cells, read_predictions
from distill_lib.verify.answer import answers_match

PRIORITY = ("pot", "eot", "cot")


def read_math_predictions(path: str | Path) -> list[dict[str, Any]]:
    """A math cell's predictions (each row also carries the verified `answer`)."""
    return read_predictions(path, required=("id", "format", "label", "answer"))


def benchmark_of(example_id: str) -> str:
    return example_id.split("/", 1)[0] if "/" in example_id else "test"


def fallback_answer(answers: dict[str, float | None]) -> float | None:
    """The first format in PRIORITY that produced an answer."""
    return next((answers[f] for f in PRIORITY if answers.get(f) is not None), None)


def vote_answer(answers: dict[str, float | None]) -> float | None:
    """Majority over the formats' answers (tolerance 1e-3); ties broken by PRIORITY."""
    candidates = [answers[f] for f in PRIORITY if answers.get(f) is not None]
    if not candidates:
        return None
    counts = [sum(answers_match(other, value) for other in candidates) for value in candidates]
    return candidates[counts.index(max(counts))]


def _by_example(rows: list[dict[str, Any]]) -> dict[str, tuple[float, dict[str, float | None]]]:
    examples: dict[str, tuple[float, dict[str, float | None]]] = {}
    for row in rows:
        gold, answers = examples.setdefault(row["id"], (float(row["label"]), {}))
        answers[row["format"]] = row["answer"]
    return examples


def ensemble_scores(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """{benchmark: {"fallback": acc %, "vote": acc %, "n": examples}} plus "all" over every
    example.
    """
    hits: dict[str, dict[str, list[bool]]] = defaultdict(lambda: {"fallback": [], "vote": []})
    for example_id, (gold, answers) in _by_example(rows).items():
        for name, pick in (("fallback", fallback_answer), ("vote", vote_answer)):
            correct = answers_match(pick(answers), gold)
            hits[benchmark_of(example_id)][name].append(correct)
            hits["all"][name].append(correct)
    return {
        bench: {name: 100.0 * sum(v) / max(len(v), 1) for name, v in scores.items()}
        | {"n": len(scores["vote"])}
        for bench, scores in hits.items()
    }


def accuracy_by_benchmark(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Long table: benchmark, format, accuracy %, n (from the stored `correct` flags)."""
    frame = pd.DataFrame(
        [
            {
                "benchmark": benchmark_of(r["id"]),
                "format": r["format"],
                "correct": bool(r.get("correct")),
            }
            for r in rows
        ]
    )
    if frame.empty:
        return pd.DataFrame(columns=["benchmark", "format", "accuracy", "n"])
    table = (
        frame.groupby(["benchmark", "format"], sort=False)["correct"]
        .agg(["mean", "count"])
        .reset_index()
    )
    return (
        table.assign(accuracy=100.0 * table["mean"])
        .rename(columns={"count": "n"})
        .drop(columns="mean")
    )


def summarize(records: list[dict[str, Any]], scores: dict[str, Any]) -> dict[str, Any]:
    """What a cell's result record keeps of its test scores: accuracy (%) per benchmark and thought,
    n per benchmark, and for a cell tested on several thoughts the labelled fallback* / vote*
    extensions."""
    rows = [
        {
            "id": r["id"],
            "format": fmt,
            "label": r["label"],
            "correct": value["correct"][i],
            "answer": value["answers"][i],
        }
        for fmt, value in scores.items()
        if isinstance(value, dict) and "answers" in value
        for i, r in enumerate(records)
    ]
    return summary_of_rows(rows)


def summary_of_rows(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The summary of `summarize` from prediction rows (id, format, label, correct, answer)."""
    table = accuracy_by_benchmark(rows)
    accuracy: dict[str, dict[str, float]] = {}
    for row in table.itertuples():
        accuracy.setdefault(row.benchmark, {})[row.format] = float(row.accuracy)
    if len({r["format"] for r in rows}) > 1:
        for bench, scores in ensemble_scores(rows).items():
            if bench != "all":
                accuracy[bench].update({"fallback*": scores["fallback"], "vote*": scores["vote"]})
    n = {bench: int(count) for bench, count in table.groupby("benchmark")["n"].max().items()}
    return {"accuracy": accuracy, "n": n}


def math_results(cfg: ExperimentConfig, extensions: bool = True) -> pd.DataFrame:
    """Every finished cell of cfg's grid as rows: pool, method, seed, benchmark, thought, accuracy,
    n.

    ETD-style cells (more than one format) also get the labelled rows thought = "fallback*" and
    "vote*".
    """
    frames = []
    for cell in grid_cells(cfg):
        path = cell_dir(cell) / "predictions.jsonl"
        if not path.exists():
            continue
        rows = read_math_predictions(path)
        table = accuracy_by_benchmark(rows).rename(columns={"format": "thought"})
        if extensions and len({r["format"] for r in rows}) > 1:
            extra = [
                {
                    "benchmark": bench,
                    "thought": f"{name}*",
                    "accuracy": scores[name],
                    "n": scores["n"],
                }
                for bench, scores in ensemble_scores(rows).items()
                if bench != "all"
                for name in ("fallback", "vote")
            ]
            table = pd.concat([table, pd.DataFrame(extra)], ignore_index=True)
        frames.append(
            table.assign(pool=cell.data.dataset, method=cell.method.name, seed=cell.train.seed)
        )
    columns = ["pool", "method", "seed", "benchmark", "thought", "accuracy", "n"]
    return (
        pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)
    )


REFERENCES = PROJECT_ROOT / "configs" / "references" / "math.yaml"


def references() -> list[dict[str, Any]]:
    """The spec's reference points with their sources (configs/references/math.yaml); none is
    ours.
    """
    return yaml.safe_load(REFERENCES.read_text())


def paper_vs_ours(results: pd.DataFrame, pool: str | None = None) -> pd.DataFrame:
    """The spec's reference points beside our mean over seeds (n/a where we have no such cell)."""
    rows = []
    for ref in references():
        mine = results[
            (results["method"] == ref["method"])
            & (results["thought"] == ref["thought"])
            & (results["benchmark"] == ref["benchmark"])
        ]
        if pool is not None:
            mine = mine[mine["pool"] == pool]
        ours = round(float(mine["accuracy"].mean()), 2) if len(mine) else None
        rows.append({**ref, "ours": ours if ours is not None else "n/a", "seeds": len(mine)})
    return pd.DataFrame(rows)
