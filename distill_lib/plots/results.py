"""Collect cell metrics into a DataFrame and shape the papers' tables.

`collect_cells(cfg)` reads the `metrics.json` of every cell of the config's grid from its run folder
(skipped cells leave a `skipped.json` with the reason, collected too; cells not run yet are absent);
`cells_frame(cfg)` is what to report: committed results for a real profile, the run folder for
smoke. `mean_std_table` pivots one metric into method x dataset cells formatted `mean ± std (n)`.

Deliberately left out: drawing (distill_lib.plots.figures) and anything that needs a model.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from distill_lib.cell_files import finished_metrics
from distill_lib.config import ExperimentConfig
from distill_lib.config_values import ConfigError
from distill_lib.jsonio import read_json_or_set_aside
from distill_lib.plots.records import metrics_row, results_frame
from distill_lib.results import records_results
from distill_lib.runs import cell_dir, grid_cells


class NothingToReport(ConfigError):
    """A report asked of a run folder with no finished cell: says which notebook to run first."""


def require_cells(cfg: ExperimentConfig, done: pd.DataFrame, skipped: pd.DataFrame) -> None:
    """NothingToReport when cfg's run folder holds neither a finished nor a skipped cell."""
    if done.empty and skipped.empty:
        folder = cell_dir(cfg).parent.parent.parent
        raise NothingToReport(
            f"no finished cell of {cfg.name}/{cfg.profile} in {folder}: run the training notebook "
            f"first (notebooks/*_{cfg.name}_train.ipynb with profile {cfg.profile!r}), or "
            f"`PROFILE={cfg.profile} make reproduce`"
        )


def collect_cells(
    cfg: ExperimentConfig, require: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(finished cells, skipped cells with reasons) of cfg's grid, read from its run folder; a
    corrupt file is named in a warning and left out (the grid sets it aside and reruns its cell).
    With `require`, a folder holding no cell at all is NothingToReport."""
    done, skipped = [], []
    for cell in grid_cells(cfg):
        folder = cell_dir(cell)
        metrics = finished_metrics(folder, rename=False)
        reason = read_json_or_set_aside(folder / "skipped.json", rename=False)
        if metrics is not None:
            done.append(metrics_row(metrics))
        elif reason is not None:
            skipped.append(reason)
    frames = pd.DataFrame(done), pd.DataFrame(skipped)
    if require:
        require_cells(cfg, *frames)
    return frames


SMOKE_NOTE = "SMOKE RUN: a tiny randomly initialised student; these numbers mean nothing"


def smoke_note(cfg: ExperimentConfig) -> str:
    """The label every artifact of a run whose numbers mean nothing carries on its face ('' for real
    runs)."""
    return "" if records_results(cfg) else SMOKE_NOTE


def cells_frame(cfg: ExperimentConfig) -> pd.DataFrame:
    """The cells to report for cfg: its committed records in results/ for a real profile (so a fresh
    clone shows them), its run folder otherwise (smoke)."""
    if records_results(cfg):
        return results_frame(cfg.name, cfg.profile)
    return collect_cells(cfg, require=True)[0]


def mean_std_table(
    frame: pd.DataFrame,
    metric: str = "test_at_best",
    fraction: float = 1.0,
    datasets: list[str] | None = None,
    methods: list[str] | None = None,
) -> pd.DataFrame:
    """method x dataset table of `mean ± std (n seeds)` for one metric at one data fraction."""
    if frame.empty:
        return pd.DataFrame()
    rows = frame[frame["fraction"] == fraction]
    grouped = rows.groupby(["method", "dataset"])[metric].agg(["mean", "std", "count"])
    cells = grouped.apply(
        lambda r: (
            f"{r['mean']:.2f} ± {0.0 if pd.isna(r['std']) else r['std']:.2f} ({int(r['count'])})"
        ),
        axis=1,
    ).unstack("dataset")
    if datasets:
        cells = cells.reindex(columns=[d for d in datasets if d in cells.columns])
    if methods:
        cells = cells.reindex([m for m in methods if m in cells.index])
    return cells.fillna("n/a")


def write_table(table: pd.DataFrame, path: Path, note: str = "") -> None:
    """Markdown and CSV side by side (path without suffix); `note` heads both files when given."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".csv"), "w") as f:
        if note:
            f.write(f"# {note}\n")
        table.to_csv(f)
    body = table.to_markdown() if not table.empty else "(no rows)"
    path.with_suffix(".md").write_text((f"**{note}**\n\n" if note else "") + body + "\n")
