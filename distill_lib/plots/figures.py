"""Figures drawn from frames of cells, with one seaborn theme: grouped bars with error bars, curves
over data fractions, student sizes or training steps, metric bars, and the teacher's verified yield.

Every figure says what it is: the caller's title (profile, student, metric) and, for runs whose
numbers mean nothing (smoke), a `note` printed on the figure's face. Accuracy axes run 0-100; every
bar carries its value so a zero bar is visible; a (group, hue) pair without a value is marked "n/a"
where its bar would be.

Deliberately left out: reading runs (distill_lib.plots.results / records) and the papers' orders and
reference numbers (callers pass them).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

THEME = {"style": "whitegrid", "context": "paper", "palette": "colorblind"}
ACCURACY = (0, 100)


def theme() -> None:
    """The project's one theme (seaborn whitegrid, paper context, colour-blind palette)."""
    sns.set_theme(**THEME)


def _finish(fig: plt.Figure, title: str, note: str, footnote: str = "") -> plt.Figure:
    fig.suptitle(title, fontsize=9)
    if footnote:  # below the axes, left-aligned, room kept for it in the layout
        lines = footnote.count("\n") + 1
        fig.text(0.01, 0.01, footnote, ha="left", va="bottom", fontsize=5)
        fig.tight_layout(rect=(0, min(0.04 * lines, 0.3), 1, 1))
    if note:
        fig.text(
            0.5,
            0.5,
            note,
            ha="center",
            va="center",
            fontsize=11,
            color="red",
            alpha=0.35,
            rotation=20,
            wrap=True,
        )
    if not footnote:
        fig.tight_layout()
    return fig


def _order(values: Sequence[Any], preferred: Sequence[Any] | None) -> list[Any]:
    present = list(dict.fromkeys(values))
    first = [v for v in (preferred or []) if v in present]
    return first + [v for v in present if v not in first]


def grouped_bars(
    frame: pd.DataFrame,
    x: str,
    y: str,
    hue: str,
    title: str = "",
    ylabel: str = "",
    x_order: Sequence[str] | None = None,
    hue_order: Sequence[str] | None = None,
    reference: dict[str, float] | None = None,
    note: str = "",
    ylim: tuple[float, float] = ACCURACY,
    reasons: Mapping[tuple[Any, Any], str] | None = None,
) -> plt.Figure:
    """Bars of the mean of `y` per (x, hue) with the standard deviation over rows as error bars;
    every bar labelled with its mean, missing pairs marked n/a (with the reason under the figure
    when `reasons` gives one for that (x, hue) pair); `reference` draws a dashed line per x
    value."""
    theme()
    xs, hues = _order(frame[x], x_order), _order(frame[hue], hue_order)
    fig, ax = plt.subplots(figsize=(2.2 + 1.5 * len(xs) * max(len(hues), 1) / 3, 3.8))
    sns.barplot(
        data=frame, x=x, y=y, hue=hue, order=xs, hue_order=hues, errorbar="sd", capsize=0.1, ax=ax
    )
    for container in ax.containers:
        if hasattr(container, "patches"):
            ax.bar_label(container, fmt="%.1f", fontsize=6, padding=2)
    width = 0.8 / max(len(hues), 1)
    present = set(zip(frame[x], frame[hue], strict=True))
    footnotes: list[str] = []
    for i, xv in enumerate(xs):
        for j, hv in enumerate(hues):
            if (xv, hv) not in present:
                if reasons and (xv, hv) in reasons:
                    footnotes.append(f"n/a {xv} / {hv}: {textwrap.shorten(reasons[xv, hv], 110)}")
                ax.text(
                    i - 0.4 + width * (j + 0.5),
                    ylim[0] + 2,
                    "n/a",
                    ha="center",
                    fontsize=6,
                    rotation=90,
                )
        if reference and xv in reference:
            ax.hlines(reference[xv], i - 0.4, i + 0.4, colors="k", linestyles="--", linewidth=1)
    ax.set(ylim=ylim, ylabel=ylabel or y, xlabel="")
    ax.legend(
        fontsize=6,
        ncol=min(len(hues), 4),
        loc="upper center",
        bbox_to_anchor=(0.5, -0.08),
        frameon=False,
    )
    title += "  (dashed: teacher few-shot)" if reference else ""
    return _finish(fig, title, note, "\n".join(dict.fromkeys(footnotes)))


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
) -> plt.Figure:
    """One panel per value of `panel`, one line per `hue` over `x` (mean ± sd over rows);
    `reference` draws a dashed horizontal line per panel."""
    theme()
    panels = _order(frame[panel], panel_order)
    fig, axes = plt.subplots(1, len(panels), figsize=(3.4 * len(panels), 3.0), squeeze=False)
    for ax, value in zip(axes[0], panels, strict=True):
        part = frame[frame[panel] == value]
        sns.lineplot(data=part, x=x, y=y, hue=hue, marker="o", errorbar="sd", ax=ax)
        if reference and value in reference:
            ax.axhline(
                reference[value], color="k", linestyle="--", linewidth=1, label="teacher few-shot"
            )
        if log_x:
            ax.set_xscale("log")
        ax.set(title=str(value), xlabel=xlabel or x, ylabel=ylabel or y)
        if ylim:
            ax.set_ylim(*ylim)
        ax.legend(fontsize=6)
    return _finish(fig, title, note)


def training_curves(
    history: pd.DataFrame, losses: pd.DataFrame, title: str = "", note: str = ""
) -> plt.Figure:
    """Training loss and validation score against steps, one line per cell (`cell` column), the
    selected step of each cell marked with a star."""
    theme()
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.0, 3.0))
    if len(losses):
        sns.lineplot(data=losses, x="step", y="loss", hue="cell", ax=left, legend=False)
    left.set(title="training loss", xlabel="step", ylabel="loss")
    if len(history):
        sns.lineplot(data=history, x="step", y="valid", hue="cell", marker="o", ax=right)
        best = history[history["selected"]]
        right.scatter(
            best["step"], best["valid"], marker="*", s=120, color="k", zorder=5, label="selected"
        )
        right.legend(fontsize=6)
    right.set(title="validation subset", xlabel="step", ylabel="score", ylim=ACCURACY)
    return _finish(fig, title, note)


def metric_bars(table: pd.DataFrame, title: str = "", note: str = "") -> plt.Figure:
    """Grouped bars of the metrics that have values: one group per metric, one bar per system (table
    rows)."""
    theme()
    numeric = table.drop(columns=["seeds"], errors="ignore").apply(pd.to_numeric, errors="coerce")
    numeric = numeric.dropna(axis=1, how="all").dropna(axis=0, how="all")
    if numeric.empty:
        fig, ax = plt.subplots(figsize=(4, 3))
        ax.text(0.5, 0.5, "no metric values", ha="center", va="center")
        return _finish(fig, title, note)
    long = numeric.reset_index(names="system").melt(
        id_vars="system", var_name="metric", value_name="score"
    )
    return grouped_bars(
        long,
        "metric",
        "score",
        "system",
        title=title,
        ylabel="score",
        note=note,
        ylim=(0, max(100.0, float(long["score"].max()) * 1.1)),
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


def save(fig: plt.Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path
