"""Figures of many runs, one panel per dataset or benchmark (layout: distill_lib.plots.figures).

- `training_curves(cells, ...)`: training loss (top row) and validation score (bottom row) against
  steps, one panel per `panel` value (e.g. dataset), one colour per `hue` value (e.g. method): each
  seed a thin line, their mean a bold one, the step each run tested (the selected step) a star.
  When no run validated more than once, the validation row is left out and the title says so.
- `accuracy_rows(results, ...)`: test accuracy as rows of dots, one row per system (e.g. a method
  on one thought), one panel per benchmark: each seed a hollow dot, the mean ± sd a filled one with
  its value, the x axis fitted to the data; reference points beyond the axis are an arrow at its
  edge with their value, so a 45% reference does not squash students near 5%.

Deliberately left out: reading records (distill_lib.plots.records) and the papers' names and orders
(callers pass them).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.lines import Line2D

from distill_lib.plots.figures import ACCURACY, attach, figure, finish
from distill_lib.plots.records import UNTRAINED

THIN, BOLD = {"lw": 0.7, "alpha": 0.35}, {"lw": 2.0}


def _long(cells: pd.DataFrame, panel: str, hue: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(losses, validation points) of every cell as long frames: panel, hue, seed, step, value;
    validation points also say whether their step is the one the cell tested."""
    losses, valid = [], []
    for row in cells.to_dict("records"):
        keys = {"panel": row[panel], "hue": row[hue], "seed": row["seed"]}
        losses += [{**keys, "step": p["step"], "value": p["loss"]} for p in row["losses"] or []]
        valid += [
            {
                **keys,
                "step": h["step"],
                "value": h["valid"],
                "selected": h["step"] == row["best_step"],
            }
            for h in row["history"] or []
        ]
    columns = ["panel", "hue", "seed", "step", "value"]
    return pd.DataFrame(losses, columns=columns), pd.DataFrame(
        valid, columns=[*columns, "selected"]
    )


def _draw_runs(ax: plt.Axes, part: pd.DataFrame, colour: Any, marker: str = "") -> None:
    """Each seed of one hue thin, their mean over seeds bold."""
    for _, seed in part.groupby("seed"):
        ax.plot(seed["step"], seed["value"], color=colour, marker=marker, ms=3, **THIN)
    mean = part.groupby("step")["value"].mean()
    ax.plot(mean.index, mean.values, color=colour, marker=marker, ms=4, **BOLD)


def training_curves(
    cells: pd.DataFrame,
    panel: str = "dataset",
    hue: str = "method",
    title: str = "",
    note: str = "",
    panel_order: Sequence[str] | None = None,
    hue_order: Sequence[str] | None = None,
    names: Mapping[str, str] | None = None,
) -> plt.Figure:
    """Loss and validation curves of `cells` (rows with seed, best_step, losses and history lists),
    one panel per `panel` value; `names` gives readable names of the panel and hue values."""
    names = names or {}
    losses, valid = _long(cells, panel, hue)
    both = pd.concat([losses, valid])
    panels = [p for p in panel_order or [] if p in set(both["panel"])] or sorted(set(both["panel"]))
    hues = [h for h in hue_order or [] if h in set(both["hue"])] or sorted(set(both["hue"]))
    colours = dict(zip(hues, sns.color_palette("colorblind", len(hues)), strict=True))
    curves_per_run = valid.groupby(["panel", "hue", "seed"]).size()
    rows = 2 if len(curves_per_run) and curves_per_run.max() > 1 else 1
    fig, axes = figure(
        max(len(panels), 1),
        rows,
        width=3.0 + 3.0 * max(len(panels), 1),
        height=1.2 + 2.2 * rows,
        sharex="col",
        sharey="row",
    )
    for i, value in enumerate(panels or [""]):
        top = axes[0][i]
        for h in hues:
            _draw_runs(top, losses[(losses.panel == value) & (losses.hue == h)], colours[h])
            if rows == 2:
                _draw_runs(
                    axes[1][i], valid[(valid.panel == value) & (valid.hue == h)], colours[h], "o"
                )
        top.set(title=names.get(value, value), ylabel="training loss" if i == 0 else "")
        axes[-1][i].set_xlabel("optimizer step")
    if rows == 2:
        _stars(axes[1], panels, valid)
    else:
        title += " (validation ran once per run, at the last step: not drawn)"
    handles, labels = _run_legend(hues, colours, names, stars=rows == 2)
    attach(fig, losses=losses, validation=valid)
    return finish(fig, title, note, legend=(handles, labels), ncol=min(len(labels), 3))


def _run_legend(hues: list, colours: dict, names: Mapping[str, str], stars: bool):
    """A bold line per hue, the thin seed line, and the star when the tested steps are drawn."""
    handles = [Line2D([], [], color=colours[h], **BOLD) for h in hues]
    labels = [names.get(h, h) for h in hues]
    handles.append(Line2D([], [], color="0.4", **THIN))
    labels.append("one seed (bold: mean over seeds)")
    if stars:
        handles.append(Line2D([], [], color="k", marker="*", ls=""))
        labels.append("tested step (selected on validation)")
    return handles, labels


def _stars(axes: Sequence[plt.Axes], panels: list, valid: pd.DataFrame) -> None:
    """The tested step of every run as a star on the validation row, which runs 0-100."""
    for ax, value in zip(axes, panels, strict=False):
        best = valid[(valid.panel == value) & valid.selected]
        ax.scatter(best["step"], best["value"], marker="*", s=60, color="k", zorder=5)
        ax.set_ylim(*ACCURACY)
    axes[0].set_ylabel("validation accuracy (%)")


def _x_limit(values: pd.Series) -> float:
    """A round upper limit a little above the largest value (at least 10, at most 100)."""
    top = float(values.max()) if len(values) else 0.0
    return float(min(100, max(10, 5 * math.ceil(top * 1.25 / 5))))


def accuracy_rows(
    results: pd.DataFrame,
    systems: Sequence[tuple[str, str]],
    benchmarks: Sequence[str],
    title: str = "",
    note: str = "",
    names: Mapping[str, str] | None = None,
    references: Sequence[Mapping[str, Any]] = (),
) -> plt.Figure:
    """`results` rows (method, thought, benchmark, seed, accuracy, n) as one row of dots per system
    ((method, thought) in `systems`, top to bottom), one panel per benchmark; `references` (who,
    benchmark, reference) are extra rows: a diamond, or an arrow with the value off the axis."""
    names = names or {}
    labels = [_system_label(m, t, names) for m, t in systems]
    refs = [r for r in references if r["benchmark"] in benchmarks]
    ref_rows = list(dict.fromkeys(r["who"] for r in refs))
    methods = list(dict.fromkeys(m for m, _ in systems))
    trained = [m for m in methods if m != UNTRAINED]
    colours = dict(zip(trained, sns.color_palette("colorblind", len(trained)), strict=True))
    colours[UNTRAINED] = (0.5, 0.5, 0.5)
    rows = len(labels) + len(ref_rows)
    fig, axes = figure(
        len(benchmarks), 1, width=2.6 + 2.6 * len(benchmarks), height=1.3 + 0.24 * rows, sharey=True
    )
    limit = _x_limit(results["accuracy"])
    for ax, bench in zip(axes[0], benchmarks, strict=True):
        part = results[results.benchmark == bench]
        for y, (method, thought) in enumerate(systems):
            values = part[(part.method == method) & (part.thought == thought)]["accuracy"]
            _dot_row(ax, y, values, colours[method])
        for r in refs:
            if r["benchmark"] == bench:
                _reference_dot(ax, len(labels) + ref_rows.index(r["who"]), r["reference"], limit)
        n = part["n"].max() if len(part) else 0
        ax.set(
            xlim=(-0.02 * limit, limit),
            xlabel="test accuracy (%)",
            title=f"{names.get(bench, bench)} (n={int(n):,})",
        )
    _row_labels(axes[0], labels, [f"ref: {w}" for w in ref_rows])
    handles, legend = _dots_legend(bool(refs))
    attach(fig, accuracy=results[["method", "thought", "benchmark", "seed", "accuracy"]])
    return finish(fig, title, note, legend=(handles, legend), ncol=3)


def _row_labels(axes: Sequence[plt.Axes], labels: list[str], ref_labels: list[str]) -> None:
    """The systems' rows top to bottom, then the reference rows under a rule."""
    rows = len(labels) + len(ref_labels)
    axes[0].set_yticks(range(rows), labels + ref_labels, fontsize=7)
    axes[0].set_ylim(rows - 0.5, -0.5)
    for ax in axes if ref_labels else []:
        ax.axhline(len(labels) - 0.5, color="0.5", lw=0.8)


def _dots_legend(references: bool) -> tuple[list, list]:
    handles = [
        Line2D([], [], marker="o", mfc="none", mec="k", ls=""),
        Line2D([], [], marker="o", color="k"),
    ]
    legend = ["one seed", "mean ± sd over seeds (value, seeds)"]
    if references:
        handles += [Line2D([], [], marker="D", mfc="none", mec="k", ls="")]
        legend += ["reference, another model (arrow: off the axis, value given)"]
    return handles, legend


def _system_label(method: str, thought: str, names: Mapping[str, str]) -> str:
    return f"{names.get(method, method)} · {names.get(thought, thought)}"


def _dot_row(ax: plt.Axes, y: int, values: pd.Series, colour: Any) -> None:
    """Seeds as hollow dots, the mean ± sd as a filled dot with a bar, its value and n beside."""
    if values.empty:
        ax.text(0.5, y, "n/a", va="center", fontsize=6)
        return
    ax.scatter(values, [y] * len(values), s=14, facecolors="none", edgecolors=colour, lw=0.8)
    mean, sd = float(values.mean()), float(values.std()) if len(values) > 1 else 0.0
    ax.errorbar(mean, y, xerr=sd or None, fmt="o", color=colour, ms=4, capsize=2, lw=1)
    ax.text(mean + sd + 0.8, y, f"{mean:.1f} ({len(values)})", va="center", fontsize=6)


def _reference_dot(ax: plt.Axes, y: int, value: float, limit: float) -> None:
    if value <= limit:
        ax.plot(value, y, "D", mfc="none", mec="k", ms=5)
        return
    ax.annotate(
        f"{value:.1f} →",
        (limit, y),
        xytext=(-2, 0),
        textcoords="offset points",
        ha="right",
        va="center",
        fontsize=6,
    )
