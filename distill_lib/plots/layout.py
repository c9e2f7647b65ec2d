"""The layout every figure shares: one seaborn theme, constrained layout so titles and legends fit,
titles wrapped to the figure's width, legends below the axes (outside the data), a note across the
face of runs whose numbers mean nothing (smoke), and `save`.

`save(fig, path)` writes the PNG (DPI dots per inch) and beside it `<name>.plot.json`: the data the
figure was drawn from (`attach`) and the words a reader sees (titles, axis labels, category tick
labels, legend entries), with the PNG's sha256. tests/test_figures_current.py compares the committed
sidecars with a fresh render of results/, so a committed figure cannot go stale unseen; pixels are
never compared (they move between matplotlib versions).

Deliberately left out: what is drawn (distill_lib.plots.figures, distill_lib.plots.panels).
"""

from __future__ import annotations

import hashlib
import json
import re
import textwrap
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

THEME = {"style": "whitegrid", "context": "paper", "palette": "colorblind"}
DPI = 100
MAX_BYTES = 150_000  # the size cap of a committed figure
STUDENTS = {"pip:smollm2": "SmolLM2-135M-Instruct", "pip:gemma3-270m": "Gemma 3 270M"}
SIDECAR = ".plot.json"
NUMBER = re.compile(r"[-\u2212]?[\d.,]+%?")  # a numeric tick label (the axis' own, not data)


def theme() -> None:
    """The project's one theme (seaborn whitegrid, paper context, colour-blind palette)."""
    sns.set_theme(**THEME)


def student_label(name: str) -> str:
    """A student's readable name ('pip:smollm2' -> 'SmolLM2-135M-Instruct'), else the name."""
    return STUDENTS.get(name, name)


def wrap(text: str, width_in: float, fontsize: float = 9) -> str:
    """`text` with each line wrapped to fit `width_in` inches at `fontsize` points."""
    chars = max(20, int(width_in * 72 / (0.6 * fontsize)))
    return "\n".join(textwrap.fill(line, chars) or line for line in text.splitlines())


def figure(ncols: int = 1, nrows: int = 1, width: float = 4.0, height: float = 3.0, **kw: Any):
    """A themed figure laid out by matplotlib's constrained layout (titles and legends fit)."""
    theme()
    return plt.subplots(
        nrows, ncols, figsize=(width, height), layout="constrained", squeeze=False, **kw
    )


def finish(
    fig: plt.Figure,
    title: str,
    note: str = "",
    footnote: str = "",
    legend: tuple[list, list] | None = None,
    ncol: int | None = None,
) -> plt.Figure:
    """The wrapped title on top, the legend (handles, labels) and the footnote below the axes, and
    the note (e.g. SMOKE) across the face."""
    width = fig.get_size_inches()[0]
    if title:
        fig.suptitle(wrap(title, width), fontsize=9)
    if legend and legend[0]:
        longest = max(len(str(label)) for label in legend[1])
        fits = max(1, int(width * 72 / (0.6 * 7 * (longest + 5))))  # columns that fit the width
        ncol = min(ncol or len(legend[1]), fits, len(legend[1]))
        fig.legend(*legend, loc="outside lower center", ncol=ncol, fontsize=7, frameon=False)
    if footnote:
        fig.supxlabel(wrap(footnote, width, 6), fontsize=6, ha="left", x=0.01)
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
    return fig


def attach(fig: plt.Figure, **frames: pd.DataFrame) -> None:
    """Keep the frames a figure was drawn from, for its sidecar (`save`)."""
    fig.plotted = {name: frame for name, frame in frames.items()}  # type: ignore[attr-defined]


def figure_texts(fig: plt.Figure) -> list[str]:
    """The words a reader sees: the title, each axes' title and labels, the legend entries."""
    texts = [fig.get_suptitle()]
    for ax in fig.axes:
        texts += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        ticks = [*ax.get_xticklabels(), *ax.get_yticklabels()]
        texts += [t.get_text() for t in ticks if not NUMBER.fullmatch(t.get_text())]
    for legend in fig.legends:
        texts += [t.get_text() for t in legend.get_texts()]
    return [t for t in texts if t]


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return None if value != value else round(value, 4)
    return value


def sidecar(fig: plt.Figure) -> dict[str, Any]:
    """What a figure shows, as plain data: its texts and the frames it was drawn from."""
    frames = getattr(fig, "plotted", {})
    return {
        "texts": figure_texts(fig),
        "data": {
            name: [{k: _rounded(v) for k, v in row.items()} for row in f.to_dict("records")]
            for name, f in frames.items()
        },
    }


def save(fig: plt.Figure, path: Path) -> Path:
    """The PNG at `path` and its sidecar `<stem>.plot.json` (the data, the texts, the PNG's
    sha256: one data row a line, so a diff reads)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, metadata={"Software": None})
    data = sidecar(fig)

    def dump(value: Any) -> str:
        return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)

    frames = [
        f"  {dump(name)}: [\n" + ",\n".join(f"   {dump(row)}" for row in rows) + "\n  ]"
        for name, rows in data["data"].items()
    ]
    lines = [
        "{",
        f' "png_sha256": {dump(hashlib.sha256(path.read_bytes()).hexdigest())},',
        f' "texts": {dump(data["texts"])},',
        ' "data": {\n' + ",\n".join(frames) + "\n }",
        "}",
    ]
    path.with_name(path.stem + SIDECAR).write_text("\n".join(lines) + "\n")
    plt.close(fig)
    return path


def read_sidecar(png: Path) -> dict[str, Any]:
    """The sidecar of a figure (`<stem>.plot.json` beside it)."""
    return json.loads(png.with_name(png.stem + SIDECAR).read_text())
