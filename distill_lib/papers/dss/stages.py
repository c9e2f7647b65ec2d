"""The DSS notebooks' evaluation and figure steps as library calls (notebooks 04 and 05 only
display).

- `evaluation_stage(cfg, stage_dir)`: the cells of the grid in the run folder, test accuracy at the
  best and at the last step (mean ± std over seeds), skipped cells with reasons; written to
  stage_dir/metrics.json.
- `figures_stage(cfg, stage_dir)`: the results table, the comparison sentences and the figures into
  figures/<experiment>/<profile>/ from the committed results (real profiles) or the run folder
  (smoke, every artifact labelled as meaningless); the figure list into stage_dir/metrics.json.

Deliberately left out: training (distill_lib.experiment) and the table layout (papers.dss.report).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from distill_lib.config import ExperimentConfig
from distill_lib.papers.dss.report import render_dss
from distill_lib.plots.records import UNTRAINED
from distill_lib.plots.results import cells_frame, collect_cells, mean_std_table, smoke_note
from distill_lib.runs import figures_dir, write_json


@dataclass
class Evaluation:
    cells: pd.DataFrame
    skipped: pd.DataFrame
    at_best: pd.DataFrame
    at_last: pd.DataFrame


def evaluation_stage(cfg: ExperimentConfig, stage_dir: Path) -> Evaluation:
    cells, skipped = collect_cells(cfg, require=True)
    order = {"datasets": cfg.grid.datasets, "methods": [UNTRAINED, *cfg.grid.methods]}
    result = Evaluation(
        cells,
        skipped,
        mean_std_table(cells, "test_at_best", **order),
        mean_std_table(cells, "test_at_last", **order),
    )
    write_json(
        stage_dir / "metrics.json",
        {
            "test_at_best": result.at_best.to_dict(),
            "test_at_last": result.at_last.to_dict(),
            "skipped": skipped.to_dict(orient="records"),
        },
    )
    return result


def figures_stage(cfg: ExperimentConfig, stage_dir: Path) -> tuple[str, Path]:
    """(the Markdown report, the figures folder)."""
    out = figures_dir(cfg)
    report = render_dss(cells_frame(cfg), out, cfg, smoke_note(cfg), collect_cells(cfg)[1])
    write_json(stage_dir / "metrics.json", {"figures": sorted(p.name for p in out.iterdir())})
    return report, out
