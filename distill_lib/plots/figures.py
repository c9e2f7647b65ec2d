"""Figures drawn from collected metrics: method x dataset bars, accuracy-vs-data-fraction curves, metric bars
and the teacher's verified yield per thought format.

Deliberately left out: reading runs (distill_lib.plots.results) and any styling beyond readable defaults.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402


def method_bars(frame: pd.DataFrame, metric: str = "test_at_best", reference: dict[str, float] | None = None,
                title: str = "", ylabel: str = "test accuracy (%)") -> plt.Figure:
    """Grouped bars: one group per dataset, one bar per method (mean over seeds, std as error bar)."""
    full = frame[frame["fraction"] == 1.0]
    stats = full.groupby(["dataset", "method"])[metric].agg(["mean", "std"]).reset_index()
    datasets, methods = list(dict.fromkeys(stats["dataset"])), list(dict.fromkeys(stats["method"]))
    fig, ax = plt.subplots(figsize=(1.8 + 1.6 * len(datasets), 3.6))
    width = 0.8 / max(len(methods), 1)
    for j, method in enumerate(methods):
        part = stats[stats["method"] == method].set_index("dataset").reindex(datasets)
        xs = [i + j * width for i in range(len(datasets))]
        ax.bar(xs, part["mean"], width, yerr=part["std"].fillna(0), label=method, capsize=2)
    for i, dataset in enumerate(datasets):
        if reference and dataset in reference:
            ax.hlines(reference[dataset], i - width / 2, i + 0.8 - width / 2, colors="k", linestyles="--")
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(datasets))], datasets)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 100)
    ax.set_title(title + ("  (dashed: teacher few-shot)" if reference else ""), fontsize=9)
    ax.legend(fontsize=7, ncol=min(len(methods), 4), loc="upper center", bbox_to_anchor=(0.5, -0.1))
    fig.tight_layout()
    return fig


def fraction_curves(frame: pd.DataFrame, metric: str = "test_at_best", title: str = "") -> plt.Figure:
    """Accuracy vs % of training data, one panel per dataset, one line per method (mean ± std)."""
    datasets = sorted(frame["dataset"].unique())
    fig, axes = plt.subplots(1, len(datasets), figsize=(3.4 * len(datasets), 3.0), squeeze=False)
    for ax, dataset in zip(axes[0], datasets, strict=True):
        part = frame[frame["dataset"] == dataset]
        for method, rows in part.groupby("method"):
            stats = rows.groupby("fraction")[metric].agg(["mean", "std"]).sort_index()
            ax.errorbar(100 * stats.index, stats["mean"], yerr=stats["std"].fillna(0), marker="o", label=method,
                        capsize=2)
        ax.set_title(dataset, fontsize=9)
        ax.set_xlabel("% of training data")
        ax.set_ylabel("test accuracy (%)")
        ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def metric_bars(table: pd.DataFrame, title: str = "") -> plt.Figure:
    """Grouped bars of the metrics that have values: one group per metric, one bar per system."""
    numeric = table.drop(columns=["seeds"], errors="ignore").apply(pd.to_numeric, errors="coerce")
    numeric = numeric.dropna(axis=1, how="all").dropna(axis=0, how="all")
    fig, ax = plt.subplots(figsize=(2.0 + 1.4 * max(len(numeric.columns), 1), 3.6))
    if numeric.empty:
        ax.text(0.5, 0.5, "no metric values", ha="center", va="center")
    else:
        numeric.T.plot.bar(ax=ax, rot=20)
        ax.legend(fontsize=6)
    ax.set_ylabel("score")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def yield_bars(yields: list[dict[str, Any]], title: str = "verified yield per format") -> plt.Figure:
    """Bars of the teacher's verified yield (rows: pool, format, yield in [0, 1]), one group per format."""
    frame = pd.DataFrame(yields).pivot(index="format", columns="pool", values="yield")
    fig, ax = plt.subplots(figsize=(2.0 + 1.2 * len(frame), 3.2))
    (100 * frame).plot.bar(ax=ax, rot=0)
    ax.set_ylabel("verified (%)")
    ax.set_ylim(0, 100)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def save(fig: plt.Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path
