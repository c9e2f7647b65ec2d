"""The SciGen figures step as a library call (notebook 13 only displays): the results table in the
paper's layout and its bar chart into figures/<experiment>/<profile>/, from the evaluation stage's
report.

Deliberately left out: scoring (papers.scigen.report / metrics).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from distill_lib.config import ExperimentConfig
from distill_lib.papers.scigen.report import read_report, report_table
from distill_lib.plots.figures import metric_bars, save
from distill_lib.plots.results import smoke_note, write_table
from distill_lib.runs import figures_dir, write_json


def figures_stage(cfg: ExperimentConfig, stage_dir: Path) -> tuple[pd.DataFrame, Path]:
    """(the results table, the figures folder)."""
    out, note = figures_dir(cfg), smoke_note(cfg)
    table = report_table(read_report(cfg))
    write_table(table, out / "results", note)
    title = (
        f"{cfg.name} / {cfg.profile}: student {cfg.student.name}"
        "\ntest metrics (best-validation checkpoint)"
    )
    save(metric_bars(table, title=title, note=note), out / "results.png")
    write_json(stage_dir / "metrics.json", {"figures": sorted(p.name for p in out.iterdir())})
    return table, out
