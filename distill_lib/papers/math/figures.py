"""The math figures: test accuracy per method and thought as rows of dots, one panel per
benchmark (`accuracy_bars`, kept under its old name), with the reference points of
configs/references/math.yaml as rows of their own; and the training curves, one panel per
training pool, one colour per method.
Titles say the student, the budget and the test size.

Deliberately left out: the tables and sentences (distill_lib.papers.math.results).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from distill_lib.config import ExperimentConfig
from distill_lib.papers.math.methods import METHOD_FORMATS
from distill_lib.papers.math.report import references
from distill_lib.plots.figures import student_label
from distill_lib.plots.panels import accuracy_rows, training_curves
from distill_lib.plots.records import UNTRAINED

if TYPE_CHECKING:
    from matplotlib.figure import Figure

BENCHMARKS = {"gsm8k": "GSM8K", "svamp": "SVAMP", "asdiv": "ASDiv", "multiarith": "MultiArith"}
METHOD_ORDER = (UNTRAINED, "cotd", "potd", "eotd", "etd")
EXTENSIONS = ("fallback*", "vote*")
LABELS = {
    UNTRAINED: "untrained",
    "cotd": "CoTD",
    "potd": "PoTD",
    "eotd": "EoTD",
    "etd": "ETD",
    "cot": "chain of thought",
    "pot": "program",
    "eot": "equations",
    "math-reft": "training pool math-reft (ReFT: MAWPS, ASDiv-A)",
    "math-gsm8k": "training pool math-gsm8k (GSM8K train)",
} | BENCHMARKS


def systems(results: pd.DataFrame) -> list[tuple[str, str]]:
    """(method, thought) pairs present, in the paper's order: each method on its own thoughts,
    then the labelled extensions."""
    present = set(zip(results["method"], results["thought"], strict=True))
    order = [
        (m, t)
        for m in METHOD_ORDER
        for t in (*METHOD_FORMATS.get(m, ("cot", "pot", "eot")), *EXTENSIONS)
    ]
    return [pair for pair in order if pair in present]


def last_step(frame: pd.DataFrame) -> int | None:
    """The trained records' last step (None when they do not say)."""
    trained = frame[frame["method"] != UNTRAINED]
    last = trained["last_step"].max() if "last_step" in trained else None
    return None if last is None or pd.isna(last) else int(last)


def head(cfg: ExperimentConfig, students: list[str], steps: int | None = None) -> str:
    """'EoTD / ETD, SmolLM2-135M-Instruct, 100 steps × 16 thoughts (profile cpu-long)'."""
    names = ", ".join(student_label(s) for s in students) or student_label(cfg.student.name)
    steps = steps or cfg.train.max_steps
    return (
        f"EoTD / ETD, {names}, {steps} steps × {cfg.train.global_batch_size} thoughts "
        f"(profile {cfg.profile})"
    )


def accuracy_bars(
    results: pd.DataFrame,
    head_line: str,
    cfg: ExperimentConfig,
    note: str,
    x_order: list[str],
    hue_order: list[str] | None = None,
) -> Figure:
    """Test accuracy per benchmark (panels in `x_order`), one row per method and thought;
    `hue_order` is accepted for the old callers and unused (the rows follow the paper's order)."""
    del hue_order
    benches = [b for b in x_order if b in set(results["benchmark"])]
    title = (
        f"{head_line}\ntest accuracy (%) of verified answers; * = a labelled extension, "
        "not the paper's method"
    )
    return accuracy_rows(results, systems(results), benches, title, note, LABELS, references())


def tests_text(results: pd.DataFrame) -> str:
    """'test questions: GSM8K 150, SVAMP 150' from the long results (benchmark, n)."""
    n = results.groupby("benchmark")["n"].max()
    order = [b for b in dict.fromkeys([*BENCHMARKS, *n.index]) if b in n]
    return "test questions: " + ", ".join(f"{BENCHMARKS.get(b, b)} {int(n[b]):,}" for b in order)


def math_curves(frame: pd.DataFrame, cfg: ExperimentConfig, note: str, tests: str = "") -> Figure:
    """Training loss (and validation, when a run validated more than once), one panel per training
    pool, one colour per method."""
    students = sorted(set(frame["student"].dropna())) if "student" in frame else []
    steps = last_step(frame)
    return training_curves(
        frame[frame["method"] != UNTRAINED],
        panel="dataset",
        hue="method",
        title=f"{head(cfg, students, steps)}: training curves" + (f"; {tests}" if tests else ""),
        note=note,
        hue_order=list(METHOD_ORDER),
        names=LABELS,
    )
