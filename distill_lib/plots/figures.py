"""Figures drawn from frames of cells: grouped bars (mean ± sd over seeds, the seeds as dots, the
paper's numbers as ticks, the untrained student as a floor), curves over data fractions or student
sizes, metric bars, and the teacher's verified yield. The shared layout (theme, titles, legends
outside the data, `save` with its data sidecar) is distill_lib.plots.layout, re-exported here.

Every figure says what it is: the caller's title (paper, student, budget, test size) and, for runs
whose numbers mean nothing (smoke), a `note` printed on its face. Accuracy axes run 0-100; every
bar carries its value so a zero bar is visible; a (group, hue) pair without a value is marked "n/a"
where its bar would be.

Deliberately left out: reading runs (distill_lib.plots.results / records) and the papers' orders,
names and reference numbers (callers pass them).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.lines import Line2D

from distill_lib.plots.layout import (  # noqa: F401  (save, theme, ...: the old import path)
    DPI,
    MAX_BYTES,
    attach,
    figure,
    finish,
    save,
    student_label,
    theme,
)

ACCURACY = (0, 100)


def _order(values: Sequence[Any], preferred: Sequence[Any] | None) -> list[Any]:
    present = list(dict.fromkeys(values))
    first = [v for v in (preferred or []) if v in present]
    return first + [v for v in present if v not in first]


def _bar_x(i: int, j: int, n_hues: int) -> float:
    """The centre of bar j of group i (seaborn's dodge: groups 0.8 wide)."""
    width = 0.8 / max(n_hues, 1)
    return i - 0.4 + width * (j + 0.5)


def _seed_dots(ax: plt.Axes, frame: pd.DataFrame, x: str, y: str, hue: str, xs: list, hues: list):
    """Each row (seed) of a (group, hue) pair with more than one row as a dot on its bar."""
    counts = frame.groupby([x, hue])[y].transform("count")
    for row in frame[counts > 1].itertuples(index=False):
        xv, hv, value = getattr(row, x), getattr(row, hue), getattr(row, y)
        ax.plot(
            _bar_x(xs.index(xv), hues.index(hv), len(hues)),
            value,
            "o",
            ms=2.5,
            color="k",
            alpha=0.6,
            zorder=4,
        )


def _bar_values(ax: plt.Axes, container: Any, span: float = 100.0) -> None:
    """Each bar's value: upright inside a tall bar's foot (clear of error bars and dots), above
    a short one (so a zero bar shows 0.0); distances in shares of the score axis' `span`."""
    for patch in container.patches:
        height = patch.get_height()
        if height != height:  # a missing pair: marked n/a elsewhere
            continue
        x = patch.get_x() + patch.get_width() / 2
        inside = height > 0.14 * span
        ax.text(
            x,
            0.015 * span if inside else height + 0.015 * span,
            f"{height:.1f}",
            ha="center",
            va="bottom",
            fontsize=6,
            rotation=90,
            color="w" if inside else "k",
            zorder=6,
        )


def _references(ax: plt.Axes, xs: list, hues: list, reference, marks, floor) -> None:
    """Dashed line per group (`reference`), a tick per bar (`marks`: (x, hue) -> value) and a grey
    floor segment per group (`floor`, the untrained student)."""
    for i, xv in enumerate(xs):
        if xv in reference:
            ax.hlines(reference[xv], i - 0.4, i + 0.4, colors="k", linestyles="--", linewidth=1)
        if xv in floor:
            ax.hlines(
                floor[xv], i - 0.42, i + 0.42, colors="0.45", linewidth=3, clip_on=False, zorder=5
            )
        for j, hv in enumerate(hues):
            if (xv, hv) in marks:
                ax.plot(
                    _bar_x(i, j, len(hues)), marks[xv, hv], "_", ms=12, mew=2, color="k", zorder=5
                )


def grouped_bars(
    frame: pd.DataFrame,
    x: str,
    y: str,
    hue: str,
    title: str = "",
    ylabel: str = "",
    x_order: Sequence[str] | None = None,
    hue_order: Sequence[str] | None = None,
    reference: Mapping[str, float] | None = None,
    note: str = "",
    ylim: tuple[float, float] = ACCURACY,
    reasons: Mapping[tuple[Any, Any], str] | None = None,
    marks: Mapping[tuple[Any, Any], float] | None = None,
    floor: Mapping[Any, float] | None = None,
    x_labels: Mapping[Any, str] | None = None,
    legend_names: Mapping[str, str] | None = None,
) -> plt.Figure:
    """Bars of the mean of `y` per (x, hue), sd over rows as error bars and the rows as dots where
    there are several; every bar labelled with its mean; missing pairs marked n/a (the reason
    under the figure when `reasons` gives one). `reference` draws a dashed line per group, `marks`
    a black tick per bar (e.g. the paper's number), `floor` a grey segment per group (the untrained
    student); `legend_names` names those three in the legend."""
    xs, hues = _order(frame[x], x_order), _order(frame[hue], hue_order)
    fig, axes = figure(width=2.4 + 1.6 * len(xs) * max(len(hues), 2) / 4, height=4.0)
    ax = axes[0][0]
    sns.barplot(
        data=frame,
        x=x,
        y=y,
        hue=hue,
        order=xs,
        hue_order=hues,
        errorbar="sd",
        capsize=0.1,
        err_kws={"linewidth": 1},
        ax=ax,
    )
    for container in ax.containers:
        if hasattr(container, "patches"):
            _bar_values(ax, container, ylim[1] - ylim[0])
    _seed_dots(ax, frame, x, y, hue, xs, hues)
    _references(ax, xs, hues, reference or {}, marks or {}, floor or {})
    footnotes = _missing(ax, frame, x, hue, xs, hues, ylim, reasons or {})
    ax.set(ylim=ylim, ylabel=ylabel or y, xlabel="")
    if x_labels:
        ax.set_xticks(range(len(xs)), [x_labels.get(v, str(v)) for v in xs])
    handles, labels = _bar_legend(ax, reference, marks, floor, legend_names or {})
    attach(fig, bars=frame[[x, hue, y]])
    return finish(fig, title, note, "\n".join(dict.fromkeys(footnotes)), (handles, labels))


def _bar_legend(ax: plt.Axes, reference, marks, floor, names: Mapping[str, str]):
    """The bars' legend entries, then those of the drawn references; the axes' legend removed."""
    handles, labels = ax.get_legend_handles_labels()
    ax.get_legend().remove() if ax.get_legend() else None
    extra = [
        (Line2D([], [], color="k", ls="--"), names.get("reference", "reference"), reference),
        (Line2D([], [], color="k", marker="_", ms=12, mew=2, ls=""), names.get("marks", ""), marks),
        (Line2D([], [], color="0.45", lw=3), names.get("floor", "untrained"), floor),
    ]
    for handle, label, present in extra:
        if present:
            handles, labels = [*handles, handle], [*labels, label]
    return handles, labels


def _missing(ax, frame, x, hue, xs, hues, ylim, reasons) -> list[str]:
    """Mark each (x, hue) pair without a row "n/a"; the footnotes naming the known reasons."""
    present = set(zip(frame[x], frame[hue], strict=True))
    footnotes = []
    for i, xv in enumerate(xs):
        for j, hv in enumerate(hues):
            if (xv, hv) in present:
                continue
            if (xv, hv) in reasons:
                footnotes.append(f"n/a {xv} / {hv}: {textwrap.shorten(reasons[xv, hv], 110)}")
            ax.text(
                _bar_x(i, j, len(hues)), ylim[0] + 2, "n/a", ha="center", fontsize=6, rotation=90
            )
    return footnotes


def curves(
    frame: pd.DataFrame,
    x: str,
    y: str,
    hue: str,
    panel: str,
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
    log_x: bool = False,
    reference: dict[str, float] | None = None,
    note: str = "",
    panel_order: Sequence[str] | None = None,
    ylim: tuple[float, float] | None = ACCURACY,
    reference_label: str = "teacher few-shot",
    marks: pd.DataFrame | None = None,
    marks_label: str = "paper",
) -> plt.Figure:
    """One panel per value of `panel`, one line per `hue` over `x`: the mean with sd error bars,
    each row (seed) as a small dot; `reference` draws a dashed line per panel, `marks` (panel, hue,
    x, value rows) hollow diamonds in the hue's colour, e.g. the paper's numbers."""
    panels, hues = _order(frame[panel], panel_order), _order(frame[hue], None)
    colours = dict(zip(hues, sns.color_palette("colorblind", len(hues)), strict=True))
    fig, axes = figure(len(panels), width=2.4 + 3.4 * len(panels), height=3.8, sharey=True)
    for ax, value in zip(axes[0], panels, strict=True):
        part = frame[frame[panel] == value]
        _curve_panel(ax, part, x, y, hue, colours)
        if reference and value in reference:
            ax.axhline(reference[value], color="k", linestyle="--", linewidth=1)
        _diamonds(ax, marks, panel, value, x, hue, colours)
        ax.set_xscale("log") if log_x else ax.set_xticks(sorted(set(part[x])))
        ax.set(title=str(value), xlabel=xlabel or x, ylabel=ylabel or y)
        ax.set_ylim(*ylim) if ylim else None
        handles, labels = ax.get_legend_handles_labels()
        ax.get_legend().remove() if ax.get_legend() else None
    if reference:
        handles, labels = [*handles, Line2D([], [], color="k", ls="--")], [*labels, reference_label]
    if marks is not None and len(marks):
        diamond = Line2D([], [], marker="D", mfc="none", mec="k", ls="")
        handles, labels = [*handles, diamond], [*labels, marks_label]
    attach(fig, points=frame[[panel, hue, x, y]])
    return finish(fig, title, note, legend=(handles, labels))


def _curve_panel(ax: plt.Axes, part: pd.DataFrame, x: str, y: str, hue: str, colours) -> None:
    """One line per hue: the mean with sd error bars, each row (seed) a small dot."""
    sns.lineplot(
        data=part,
        x=x,
        y=y,
        hue=hue,
        palette=colours,
        marker="o",
        errorbar="sd",
        err_style="bars",
        err_kws={"capsize": 3},
        ax=ax,
    )
    ax.scatter(part[x], part[y], s=8, color="k", alpha=0.5, zorder=4)


def _diamonds(ax: plt.Axes, marks, panel: str, value: Any, x: str, hue: str, colours) -> None:
    """The `marks` rows of this panel as hollow diamonds in their hue's colour."""
    for m in [] if marks is None else marks[marks[panel] == value].itertuples(index=False):
        colour = colours.get(getattr(m, hue))
        ax.plot(getattr(m, x), m.value, "D", mfc="none", mec=colour, ms=7, mew=1.5)


def metric_bars(
    table: pd.DataFrame, title: str = "", note: str = "", zoom: bool = False
) -> plt.Figure:
    """Grouped bars of the metrics that have values: one group per metric, one bar per system
    (table rows); the score axis runs to 100, or with `zoom` to a third above the largest bar."""
    numeric = table.drop(columns=["seeds"], errors="ignore").apply(pd.to_numeric, errors="coerce")
    numeric = numeric.dropna(axis=1, how="all").dropna(axis=0, how="all")
    if numeric.empty:
        fig, axes = figure()
        axes[0][0].text(0.5, 0.5, "no metric values", ha="center", va="center")
        attach(fig, bars=numeric)
        return finish(fig, title, note)
    long = numeric.reset_index(names="system").melt(
        id_vars="system", var_name="metric", value_name="score"
    )
    largest = float(long["score"].max())
    top = max(1.0, largest * 1.3) if zoom else max(100.0, largest * 1.1)
    ylabel = "score (axis zoomed)" if zoom else "score"
    return grouped_bars(
        long, "metric", "score", "system", title=title, ylabel=ylabel, note=note, ylim=(0, top)
    )


def yield_bars(
    yields: list[dict[str, Any]], title: str = "verified yield per format", note: str = ""
) -> plt.Figure:
    """Bars of the teacher's verified yield in % (rows: pool, format, yield in [0, 1]), one group
    per format."""
    frame = pd.DataFrame(yields).assign(percent=lambda f: 100 * f["yield"])
    return grouped_bars(
        frame,
        "format",
        "percent",
        "pool",
        title=title,
        ylabel="verified (%)",
        note=note,
        x_order=["cot", "pot", "eot"],
    )
