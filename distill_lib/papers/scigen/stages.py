"""The SciGen figures step as a library call (notebook 13 only displays): the results table in the
paper's layout and its bar chart into figures/<experiment>/<profile>/, from the evaluation stage's
report.

The table's row names carry the local-teacher label in full (papers.scigen.labels); the chart's
legend names the rows without it and its title carries it once, so the legend fits the figure.

Deliberately left out: scoring (papers.scigen.report / metrics).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from distill_lib.config import ExperimentConfig
from distill_lib.papers.scigen.labels import LOCAL_TEACHER
from distill_lib.papers.scigen.report import checkpoint_text, read_report, report_table
from distill_lib.plots.figures import metric_bars, save
from distill_lib.plots.results import smoke_note, write_table
from distill_lib.runs import figures_dir, write_json

SHORT = f" ({LOCAL_TEACHER})"


def chart_title(cfg: ExperimentConfig, table: pd.DataFrame) -> str:
    """The chart's title: the run, the tested weights and, when a row has it, the label."""
    title = (
        f"{cfg.name} / {cfg.profile}: student {cfg.student.name}"
        f"\ntest metrics ({checkpoint_text(cfg)})"
    )
    if any(LOCAL_TEACHER in str(name) for name in table.index):
        title += f"\ndistilled rows and the teacher row: {LOCAL_TEACHER}"
    return title


def short_names(table: pd.DataFrame) -> pd.DataFrame:
    """The table with the label taken out of its row names (for the chart's legend)."""
    return table.rename(
        index=lambda name: str(name).replace(SHORT, "").replace(f"; {LOCAL_TEACHER}", "")
    )


def figures_stage(cfg: ExperimentConfig, stage_dir: Path) -> tuple[pd.DataFrame, Path]:
    """(the results table, the figures folder)."""
    out, note = figures_dir(cfg), smoke_note(cfg)
    table = report_table(read_report(cfg))
    write_table(table, out / "results", note)
    figure = metric_bars(short_names(table), title=chart_title(cfg, table), note=note)
    save(figure, out / "results.png")
    write_json(stage_dir / "metrics.json", {"figures": sorted(p.name for p in out.iterdir())})
    return table, out
