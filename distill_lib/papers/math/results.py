"""The math results in the layout of the EoTD paper's main table, from a frame of cells (committed
records).

- `math_table`: one row per method and tested thought (CoTD / PoTD / EoTD on their own thought, ETD
  on each thought and the labelled fallback* / vote* extensions, the untrained student on each
  thought), one column per benchmark (`mean ± std (n seeds)` of test accuracy, the number of test
  questions in the header), then the reference rows, labelled as other models
  (configs/references/math.yaml).
- `claim_sentences`: programs vs chain-of-thought, equations vs chain-of-thought, ETD vs the
  single-thought students, per benchmark, by the paired test on the test questions both sides share
  (distill_lib.plots.compare), from the records' per-example outcomes.
- `render_math(frame, out, cfg, note)`: the tables and the figures (distill_lib.papers.math.figures)
  into `out`; returns the README block.

Deliberately left out: scoring (papers.math.scoring / report) and the teacher data's yield (notebook
06).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from distill_lib.config import ExperimentConfig
from distill_lib.papers.math.figures import (  # noqa: F401  (accuracy_bars: stages imports it here)
    BENCHMARKS,
    accuracy_bars,
    head,
    last_step,
    math_curves,
    systems,
    tests_text,
)
from distill_lib.papers.math.report import references
from distill_lib.plots.compare import (
    Outcomes,
    Paired,
    cell_outcomes,
    claim,
    folder_outcomes,
    mean_std_cell,
    paired_table,
    paired_test,
)
from distill_lib.plots.figures import save
from distill_lib.plots.records import UNTRAINED
from distill_lib.plots.results import write_table
from distill_lib.results import read_stage_results

NAMES = BENCHMARKS  # readable benchmark names, in the table's order


def long_results(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per cell, benchmark and thought: method, seed, benchmark, thought, accuracy, n."""
    rows = []
    for cell in frame.itertuples():
        summary = cell.summary or {}
        for bench, by_thought in summary.get("accuracy", {}).items():
            for thought, accuracy in by_thought.items():
                rows.append(
                    {
                        "method": cell.method,
                        "seed": cell.seed,
                        "benchmark": bench,
                        "thought": thought,
                        "accuracy": accuracy,
                        "n": summary["n"][bench],
                    }
                )
    return pd.DataFrame(rows, columns=["method", "seed", "benchmark", "thought", "accuracy", "n"])


def math_table(results: pd.DataFrame) -> pd.DataFrame:
    benches = [b for b in NAMES if b in set(results["benchmark"])]
    n = results.groupby("benchmark")["n"].max()
    columns = {b: f"{NAMES[b]} (n={int(n[b]):,})" for b in benches}
    rows = {}
    for method, thought in systems(results):
        part = results[(results.method == method) & (results.thought == thought)]
        label = f"untrained ({thought})" if method == UNTRAINED else f"ours: {method} ({thought})"
        rows[label] = {
            columns[b]: mean_std_cell(part[part.benchmark == b]["accuracy"]) for b in benches
        }
    for ref in references():
        if ref["benchmark"] in columns:
            rows[f"other model: {ref['who']}"] = {c: "—" for c in columns.values()} | {
                columns[ref["benchmark"]]: f"{ref['reference']:.1f}"
            }
    return pd.DataFrame.from_dict(rows, orient="index")


PAIRS = (
    ("programs vs chain-of-thought", ("cotd", "cot"), ("potd", "pot")),
    ("equations vs chain-of-thought", ("cotd", "cot"), ("eotd", "eot")),
    ("ETD vs the PoTD student, both on programs", ("potd", "pot"), ("etd", "pot")),
    ("ETD vs the EoTD student, both on equations", ("eotd", "eot"), ("etd", "eot")),
    ("ETD vs the CoTD student, both on chain-of-thought", ("cotd", "cot"), ("etd", "cot")),
)


def paired_comparisons(
    frame: pd.DataFrame, outcomes: Mapping[str, Outcomes], benchmarks: list[str]
) -> list[tuple[str, str, str, Paired]]:
    """(what, a, b, paired test) for each pair of PAIRS and benchmark whose cells exist: each side's
    cells scored in its thought on the benchmark's test questions both share."""
    rows = []
    for what, (method_a, thought_a), (method_b, thought_b) in PAIRS:
        a, b = frame[frame["method"] == method_a], frame[frame["method"] == method_b]
        if not (len(a) and len(b)):
            continue
        for bench in benchmarks:
            paired = paired_test(
                cell_outcomes(a, outcomes),
                cell_outcomes(b, outcomes),
                thought_a,
                thought_b,
                id_prefix=f"{bench}/",
            )
            rows.append(
                (
                    f"{NAMES[bench]}, {what}",
                    f"{method_a} ({thought_a})",
                    f"{method_b} ({thought_b})",
                    paired,
                )
            )
    return rows


def claim_sentences(comparisons: list[tuple[str, str, str, Paired]]) -> list[str]:
    """One sentence per comparison: the difference, its CI and p, and the verdict."""
    return [claim(what, a, b, paired) for what, a, b, paired in comparisons]


def render_math(frame: pd.DataFrame, out: Path, cfg: ExperimentConfig, note: str = "") -> str:
    results = long_results(frame)
    table = math_table(results)
    write_table(table, out / "math_results", note)
    write_table(results, out / "math_results_long", note)
    numeric = results.groupby(["method", "thought", "benchmark"])["accuracy"]
    numeric = numeric.agg(["mean", "std", "count"]).rename(columns={"count": "n"}).round(3)
    write_table(numeric, out / "math_results_numeric", note)
    students = sorted(set(frame["student"].dropna())) if "student" in frame else []
    line = head(cfg, students, last_step(frame))
    save(accuracy_bars(results, line, cfg, note, list(NAMES)), out / "math_by_benchmark.png")
    save(math_curves(frame, cfg, note, tests_text(results)), out / "training_curves.png")
    benchmarks = [b for b in NAMES if b in set(results["benchmark"])]
    comparisons = paired_comparisons(frame, folder_outcomes(cfg.name, cfg.profile), benchmarks)
    tests = [(f"{what}: {b} vs {a}", paired) for what, a, b, paired in comparisons]
    write_table(paired_table(tests).round(3), out / "math_paired_tests", note)
    sentences = "\n".join(f"- {s}" for s in claim_sentences(comparisons))
    return f"{table.to_markdown()}\n\n{sentences}\n{teacher_yields(cfg)}"


def teacher_yields(cfg: ExperimentConfig) -> str:
    """A line per committed teacher stage: the thoughts verified per format (and whether EoT was
    derived)."""
    lines = []
    for name, record in read_stage_results(cfg.name, cfg.profile).items():
        formats = record["stats"]["formats"]
        parts = []
        for fmt, s in formats.items():
            derived = ", derived" if s.get("derived") else ""
            parts.append(
                f"{fmt} {s['n_kept']:,} of {s['n_in']:,} ({100 * s['yield']:.1f}%{derived})"
            )
        lines.append(
            f"- Teacher data ({name.removeprefix('teacher-')}), verified against gold: "
            + "; ".join(parts)
            + "."
        )
    return ("\n" + "\n".join(lines) + "\n") if lines else ""
