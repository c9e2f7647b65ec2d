"""A tuning sweep's records as a table, a figure and a choice, the same way for every paper.

A sweep profile (`grid.sweep` / `grid.sweep_recipes`) trains every method at each combination of
swept settings and scores validation only (tuning cells never look at test). `sweep_frame` reads
one row per record: method, dataset, the swept settings, the validation score of the tested
weights. `sweep_choice` picks, per method, the combination with the highest validation score
averaged over the datasets (only combinations scored on every dataset of that method compete;
an exact tie goes to the first in sorted order of the settings, the smaller learning rate first).
`render_sweep` writes the figure and `stages/choice.json` (under `choice`, what a powered grid's
`grid.method_overrides` must hold; a test checks the configs against it) and returns the results
block.

Deliberately left out: which profile uses the choice (the configs), and test scores (a sweep
has none).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from distill_lib.results import read_results, source_commits  # noqa: E402


def _setting(record: dict[str, Any], key: str) -> Any:
    node: Any = record["config"]
    for part in key.split("."):
        node = node[part]
    return node


def sweep_frame(experiment: str, profile: str, keys: list[str]) -> pd.DataFrame:
    """One row per committed record of the sweep: method, dataset, each swept key, valid (%)."""
    rows = []
    for record in read_results(experiment, profile):
        metrics = record["metrics"]
        row = {"method": metrics["method"], "dataset": metrics["dataset"]}
        row |= {key: _setting(record, key) for key in keys}
        row["valid"] = metrics["valid_at_best"]["primary"]
        row["n_valid"] = metrics["n_valid"]
        row["commit"] = record.get("commit", "unknown")
        row["finished"] = record.get("finished", "")
        rows.append(row)
    return pd.DataFrame(rows)


def sweep_choice(
    frame: pd.DataFrame, keys: list[str], cells_per_method: int | None = None
) -> dict[str, dict[str, Any]]:
    """Per method, the swept settings with the best mean validation score over its datasets; a
    method with fewer than `cells_per_method` records (the sweep still running) has no choice."""
    choice: dict[str, dict[str, Any]] = {}
    for method, rows in frame.groupby("method", sort=True):
        if cells_per_method is not None and len(rows) < cells_per_method:
            continue
        datasets = rows["dataset"].nunique()
        scored = rows.groupby(keys, sort=True)["valid"].agg(["mean", "count"]).reset_index()
        complete = scored[scored["count"] == datasets]
        if complete.empty:
            continue
        best = complete.sort_values("mean", ascending=False, kind="stable").iloc[0]
        choice[str(method)] = {key: _plain(best[key]) for key in keys}
        choice[str(method)]["valid_mean"] = round(float(best["mean"]), 2)
    return choice


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def sweep_table(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Validation score (%) per method and swept settings (rows) and dataset (columns), and
    their mean."""
    table = frame.pivot_table(index=["method", *keys], columns="dataset", values="valid")
    table["mean"] = table.mean(axis=1)
    return table.round(1)


def draw_sweep(frame: pd.DataFrame, keys: list[str], title: str, path: Path) -> None:
    """Validation score against the first swept key (log axis), one panel per dataset, a line per
    method and remaining settings."""
    first, rest = keys[0], keys[1:]
    datasets = sorted(frame["dataset"].unique())
    fig, axes = plt.subplots(1, len(datasets), figsize=(4.2 * len(datasets), 3.4), squeeze=False)
    for ax, dataset in zip(axes[0], datasets, strict=True):
        rows = frame[frame["dataset"] == dataset]
        for label, line in rows.groupby(["method", *rest], sort=True):
            line = line.sort_values(first)
            name = " ".join(str(v) for v in (label if isinstance(label, tuple) else (label,)))
            ax.plot(line[first], line["valid"], marker="o", label=name)
        ax.set_xscale("log")
        ax.set_xlabel(first)
        ax.set_ylabel("validation accuracy (%)")
        ax.set_title(dataset)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


def render_sweep(
    experiment: str,
    profile: str,
    keys: list[str],
    figures: Path,
    results: Path,
    title: str,
    write: bool = True,
    cells_per_method: int | None = None,
) -> tuple[str, Path | None]:
    """The sweep's figure (figures/sweep.png), its choice (results/stages/choice.json) and its
    block; returns (the block, the choice file when it differs from what it should hold and
    `write` is False, else None)."""
    frame = sweep_frame(experiment, profile, keys)
    if frame.empty:
        return f"\n_No sweep records in `results/{experiment}/{profile}/` yet._\n", None
    figures.mkdir(parents=True, exist_ok=True)
    draw_sweep(frame, keys, title, figures / "sweep.png")
    choice = sweep_choice(frame, keys, cells_per_method)
    waiting = sorted(set(frame["method"]) - set(choice))
    records = frame[["commit", "finished"]].to_dict(orient="records")
    text = json.dumps({**source_commits(records), "choice": choice}, indent=1, sort_keys=True)
    text += "\n"
    path = results / "stages" / "choice.json"
    stale = not path.exists() or path.read_text() != text
    if write and stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    lines = [
        f"\n{title}. Validation only: a tuning cell never looks at test.\n",
        sweep_table(frame, keys).to_markdown(),
        "\n\nChosen per method (best mean validation over its datasets; only settings scored on "
        "every dataset compete):\n",
    ]
    lines += [f"- {method}: {settings}" for method, settings in choice.items()]
    lines += [f"- {method}: no choice yet (its sweep is not complete)" for method in waiting]
    return "\n".join(lines) + "\n", (path if stale and not write else None)
