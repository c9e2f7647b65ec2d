"""The math notebooks' evaluation and figure steps as library calls (notebooks 08 and 09 only
display).

- `evaluation_stage(cfg, stage_dir)`: every finished cell's accuracy per benchmark and thought (ETD
  also the labelled fallback* and vote* extensions), the skipped cells with reasons; into
  stage_dir/metrics.json.
- `figures_stage(cfg, stage_dir)`: accuracy bars per pool, the teacher's verified yield per format,
  the reference points beside ours, and the main table (papers.math.results: committed results for
  real profiles, the run folder for smoke) into figures/<experiment>/<profile>/; the figure list
  into stage_dir/metrics.json.

Deliberately left out: scoring (papers.math.scoring) and the ensembles' rules (papers.math.report).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from distill_lib.config import ExperimentConfig
from distill_lib.papers.math.options import BENCHMARKS
from distill_lib.papers.math.report import math_results, paper_vs_ours
from distill_lib.papers.math.results import accuracy_bars, render_math
from distill_lib.papers.math.stage import teacher_yields
from distill_lib.plots.figures import save, yield_bars
from distill_lib.plots.results import cells_frame, collect_cells, smoke_note, write_table
from distill_lib.results import records_results
from distill_lib.runs import figures_dir, write_json


def evaluation_stage(
    cfg: ExperimentConfig, stage_dir: Path
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(long results, pool x method x thought by benchmark table, skipped cells)."""
    _, skipped = collect_cells(cfg, require=True)
    results = math_results(cfg)
    table = results.pivot_table(
        index=["pool", "method", "thought"], columns="benchmark", values="accuracy", aggfunc="mean"
    ).round(2)
    write_json(
        stage_dir / "metrics.json",
        {"rows": results.to_dict(orient="records"), "skipped": skipped.to_dict(orient="records")},
    )
    return results, table, skipped


def figures_stage(cfg: ExperimentConfig, stage_dir: Path) -> tuple[pd.DataFrame, Path]:
    """(the reference points beside ours, the figures folder)."""
    if not records_results(cfg):
        collect_cells(cfg, require=True)  # nothing trained yet: say which notebook comes first
    out, note = figures_dir(cfg), smoke_note(cfg)
    results = math_results(cfg)
    for pool in results["pool"].unique():
        rows = results[results["pool"] == pool]
        save(
            accuracy_bars(rows, f"{pool} / {cfg.profile}", cfg, note, list(BENCHMARKS)),
            out / f"accuracy_{pool}.png",
        )
    save(
        yield_bars(
            teacher_yields(cfg), f"{cfg.name} / {cfg.profile}: teacher thoughts verified (%)", note
        ),
        out / "yield_per_format.png",
    )
    versus = paper_vs_ours(results)
    write_table(versus, out / "paper_vs_ours", note)
    # the main table: committed results for real profiles
    render_math(cells_frame(cfg), out, cfg, note)
    write_json(stage_dir / "metrics.json", {"figures": sorted(p.name for p in out.iterdir())})
    return versus, out
