"""The DSS figures, from the frames of distill_lib.papers.dss.report.split_axes:

- `method_by_dataset.png`: test accuracy per dataset and method (mean ± sd over seeds, seeds as
  dots), the paper's T5-Base number as a tick on its method's bar, the PaLM-540B few-shot teacher
  as a dashed line, the untrained student as a grey floor;
- `data_fraction.png` (Fig. 4), `unlabelled.png` (Fig. 5): accuracy against the share of the
  training set, one panel per dataset, the paper's full-data numbers as diamonds at 100%;
- `model_size.png` (Figs. 6-7): accuracy against student parameters;
- `training_curves.png`: loss and validation per dataset, seeds thin around a bold mean.
Every title says the student, the budget and the test size; datasets and methods go by readable
names.

Deliberately left out: the tables and the README block (distill_lib.papers.dss.report).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from distill_lib.config import ExperimentConfig
from distill_lib.plots.figures import curves, grouped_bars, save, student_label
from distill_lib.plots.panels import training_curves
from distill_lib.plots.records import UNTRAINED

DATASETS = {"esnli": "e-SNLI", "anli1": "ANLI-R1", "cqa": "CQA", "svamp": "SVAMP"}
METHODS = {
    UNTRAINED: "untrained",
    "standard_ft": "standard finetuning",
    "standard_distill": "standard distillation",
    "dss": "distilling step-by-step",
    "single_task": "single-task (rationale, then label)",
    "standard_distill-llm": "standard distillation, teacher labels",
    "dss-llm": "distilling step-by-step, teacher labels",
}
ACCURACY = "test accuracy (%)"
T5 = "paper, T5-Base 220M (10k steps × 64)"
PALM = "PaLM-540B few-shot (the teacher)"


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with datasets and methods by their readable names."""
    return frame.assign(
        dataset=frame["dataset"].map(lambda d: DATASETS.get(d, d)),
        method=frame["method"].map(lambda m: METHODS.get(m, m)),
    )


def head(frame: pd.DataFrame, cfg: ExperimentConfig) -> str:
    """'Distilling step-by-step, SmolLM2-135M-Instruct, 48 steps × 16 examples (profile cpu)': the
    student and the steps of the records, the batch of the config."""
    trained = frame[frame["method"] != UNTRAINED]
    students = sorted(set(frame["student"].dropna())) or [cfg.student.name]
    last = trained["last_step"].max() if "last_step" in trained else None
    steps = cfg.train.max_steps if last is None or pd.isna(last) else int(last)
    return (
        f"Distilling step-by-step, {', '.join(student_label(s) for s in students)}, "
        f"{steps} steps × {cfg.train.global_batch_size} examples (profile {cfg.profile})"
    )


def test_sizes(frame: pd.DataFrame) -> dict[str, int]:
    """Test examples per dataset (readable name), in the paper's order."""
    n = frame.groupby("dataset")["n_test"].max()
    return {DATASETS.get(d, d): int(n[d]) for d in sorted(n.index, key=_rank)}


def sizes_text(frame: pd.DataFrame) -> str:
    """'1,221 test examples', or 'test examples: e-SNLI 500, SVAMP 200' when they differ."""
    sizes = test_sizes(frame)
    if len(set(sizes.values())) == 1:
        return f"{next(iter(sizes.values())):,} test examples"
    return "test examples: " + ", ".join(f"{d} {k:,}" for d, k in sizes.items())


def _rank(dataset: str) -> int:
    return list(DATASETS).index(dataset) if dataset in DATASETS else len(DATASETS)


def draw_figures(
    main: pd.DataFrame,
    curve: pd.DataFrame,
    sizes: pd.DataFrame,
    unlabelled: pd.DataFrame,
    out: Path,
    cfg: ExperimentConfig,
    refs: dict[str, Any],
    note: str = "",
    reasons: dict[tuple[str, str], str] | None = None,
) -> None:
    """Every DSS figure into `out`: `main` (the profile's student on gold labels), `curve` (its
    cells at several data fractions), `sizes` (the model-size axis), `unlabelled` (teacher labels);
    `refs`: configs/references/dss.yaml."""
    title = head(pd.concat([main, sizes]), cfg)
    full = main[main["fraction"] == 1.0]
    save(method_bars(full, refs, title, note, reasons), out / "method_by_dataset.png")
    for part, name, what in (
        (curve, "data_fraction", "gold labels"),
        (unlabelled, "unlabelled", "the teacher's labels"),
    ):
        if len(part):
            save(fraction_curves(part, refs, f"{title}: {what}", note), out / f"{name}.png")
    if sizes["student"].nunique() > 1:
        save(size_curves(sizes, refs, title, note), out / "model_size.png")
    trained = main[(main["method"] != UNTRAINED) & (main["fraction"] == 1.0)]
    fig = training_curves(
        trained,
        "dataset",
        "method",
        f"{title}: training curves; {sizes_text(trained)}",
        note,
        list(DATASETS),
        list(METHODS),
        DATASETS | METHODS,
    )
    save(fig, out / "training_curves.png")


def method_bars(
    full: pd.DataFrame,
    refs: dict[str, Any],
    title: str,
    note: str,
    reasons: dict[tuple[str, str], str] | None,
):
    """Bars per dataset and method; the untrained student as a floor, the paper's marks."""
    named = readable(full)
    untrained = named[full["method"] == UNTRAINED]
    bars = named[full["method"] != UNTRAINED]
    sizes = test_sizes(full)
    t5 = refs["t5_base"]["test_accuracy"]
    marks = {
        (DATASETS[d], METHODS[m]): value
        for m, by_dataset in t5.items()
        for d, value in by_dataset.items()
    }
    palm = {DATASETS[d]: v for d, v in refs["palm_few_shot"]["test_accuracy"].items()}
    floor = untrained.groupby("dataset")["test_at_best"].mean().to_dict()
    return grouped_bars(
        bars,
        "dataset",
        "test_at_best",
        "method",
        f"{title}\n{ACCURACY} at the tested step; bars: mean ± sd over seeds, dots: seeds",
        ACCURACY,
        x_order=list(DATASETS.values()),
        hue_order=list(METHODS.values()),
        reference=palm,
        note=note,
        marks=marks,
        floor=floor,
        reasons={
            (DATASETS.get(d, d), METHODS.get(m, m)): r for (d, m), r in (reasons or {}).items()
        },
        x_labels={d: _tick(d, n, floor) for d, n in sizes.items()},
        legend_names={"reference": PALM, "marks": T5, "floor": "untrained student (step 0)"},
    )


def _tick(dataset: str, n: int, floor: dict[str, float]) -> str:
    """'e-SNLI\n500 test, untrained 0.0': the dataset's tick label."""
    untrained = f", untrained {floor[dataset]:.1f}" if dataset in floor else ""
    return f"{dataset}\n{n:,} test{untrained}"


def _paper_marks(part: pd.DataFrame, refs: dict[str, Any], x: float | None) -> pd.DataFrame:
    """The paper's T5-Base numbers of the methods and datasets in `part`, at `x` (None: none)."""
    if x is None:
        return pd.DataFrame(columns=["dataset", "method", "percent", "value"])
    t5 = refs["t5_base"]["test_accuracy"]
    rows = [
        {"dataset": DATASETS[d], "method": METHODS[m], "percent": x, "value": t5[m][d]}
        for d, m in sorted(set(zip(part["dataset"], part["method"], strict=True)))
        if m in t5 and d in t5[m]
    ]
    return pd.DataFrame(rows, columns=["dataset", "method", "percent", "value"])


def fraction_curves(part: pd.DataFrame, refs: dict[str, Any], title: str, note: str):
    """Accuracy against the share of the training set, one panel per dataset."""
    frame = readable(part.assign(percent=100 * part["fraction"]))
    full = part.loc[part["fraction"] == 1.0, "n_train"] if "n_train" in part else pd.Series()
    records = 0 if full.empty or pd.isna(full.max()) else int(full.max())
    xlabel = "% of the training set" + (f" (100% = {records:,} records)" if records else "")
    return curves(
        frame,
        "percent",
        "test_at_best",
        "method",
        "dataset",
        f"{title}\n{ACCURACY} at the tested step, mean ± sd over seeds, dots: seeds; "
        + sizes_text(part),
        xlabel,
        ACCURACY,
        note=note,
        panel_order=list(DATASETS.values()),
        marks=_paper_marks(part, refs, 100.0),
        marks_label=f"{T5}, 100%",
    )


def size_curves(sizes: pd.DataFrame, refs: dict[str, Any], title: str, note: str):
    """Accuracy against student parameters, one panel per dataset, the teacher as a dashed line."""
    palm = {DATASETS[d]: v for d, v in refs["palm_few_shot"]["test_accuracy"].items()}
    return curves(
        readable(sizes),
        "student_params",
        "test_at_best",
        "method",
        "dataset",
        f"{title}: {ACCURACY} against student size",
        "student parameters",
        ACCURACY,
        log_x=True,
        reference=palm,
        note=note,
        panel_order=list(DATASETS.values()),
        reference_label=PALM,
    )
