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
from distill_lib.papers.scigen.labels import FREE_TEXT, LOCAL_TEACHER
from distill_lib.papers.scigen.report import checkpoint_text, read_report, report_table
from distill_lib.plots.figures import metric_bars, save
from distill_lib.plots.results import smoke_note, write_table
from distill_lib.runs import figures_dir, write_json

LABELS = (f"; {LOCAL_TEACHER}", f" ({LOCAL_TEACHER}; {FREE_TEXT})", f" ({LOCAL_TEACHER})")


def chart_title(cfg: ExperimentConfig, table: pd.DataFrame) -> str:
    """The chart's title: the run, the tested weights and, when a row has them, the labels."""
    title = (
        f"{cfg.name} / {cfg.profile}: student {cfg.student.name}"
        f"\ntest metrics ({checkpoint_text(cfg)})"
    )
    return title + label_lines(table)


def label_lines(table: pd.DataFrame) -> str:
    """The labels the rows carry, one title line each, for a chart whose legend leaves them out."""
    names = " ".join(str(name) for name in table.index)
    lines = ""
    if LOCAL_TEACHER in names:
        lines += f"\ndistilled rows and the teacher row: {LOCAL_TEACHER}"
    if FREE_TEXT in names:
        lines += f"\ndistilled rows: {FREE_TEXT}"
    return lines


def short_names(table: pd.DataFrame) -> pd.DataFrame:
    """The table with the label taken out of its row names (for the chart's legend)."""

    def short(name: object) -> str:
        text = str(name)
        for label in LABELS:
            text = text.replace(label, "")
        return text

    return table.rename(index=short)


def figures_stage(cfg: ExperimentConfig, stage_dir: Path) -> tuple[pd.DataFrame, Path]:
    """(the results table, the figures folder)."""
    out, note = figures_dir(cfg), smoke_note(cfg)
    table = report_table(read_report(cfg))
    write_table(table, out / "results", note)
    figure = metric_bars(short_names(table), title=chart_title(cfg, table), note=note)
    save(figure, out / "results.png")
    write_json(stage_dir / "metrics.json", {"figures": sorted(p.name for p in out.iterdir())})
    return table, out
