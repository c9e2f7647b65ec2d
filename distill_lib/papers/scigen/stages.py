"""The SciGen figures step as a library call (notebook 13 only displays): the results table in the paper's
layout and its bar chart into figures/<experiment>/<profile>/, from the evaluation stage's report.

Deliberately left out: scoring (papers.scigen.report / metrics).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from distill_lib.config import ExperimentConfig
from distill_lib.papers.scigen.report import read_report, report_table
from distill_lib.plots.figures import metric_bars, save
from distill_lib.plots.results import write_table
from distill_lib.runs import figures_dir, write_json


def figures_stage(cfg: ExperimentConfig, stage_dir: Path) -> tuple[pd.DataFrame, Path]:
    """(the results table, the figures folder)."""
    out = figures_dir(cfg)
    table = report_table(read_report(cfg))
    write_table(table, out / "results")
    save(metric_bars(table, title=f"{cfg.name} / {cfg.profile}: student {cfg.student.name}"), out / "results.png")
    write_json(stage_dir / "metrics.json", {"figures": sorted(p.name for p in out.iterdir())})
    return table, out
