"""The DSS results in the paper's layout, from a frame of cells (committed results or a run folder).

- `dss_table`: method x dataset, `mean ± std (n seeds)` of test accuracy at the best-validation
  step, the untrained row first, then the paper's T5-Base rows and the PaLM-540B few-shot row, each
  labelled (the numbers and their sources: configs/references/dss.yaml).
- `dss_vs_standard`: DSS against standard finetuning per dataset by the paired test on the test
  examples both share (distill_lib.plots.compare: difference, 95% CI, p, seeds, n, verdict), from
  the records' per-example outcomes.
- `claim_sentences`: one plain sentence per dataset from those numbers (nothing typed by hand).
- `fraction_table`: the data-fraction curve as a table, (dataset, method) x fraction of the
  training set.
- `render_dss(frame, out)`: writes the tables (Markdown + CSV) and the figures
  (distill_lib.papers.dss.figures) into `out`, and returns the Markdown block for the README.

Deliberately left out: reading the records (distill_lib.plots.records) and training anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from distill_lib.config import PROJECT_ROOT, ExperimentConfig
from distill_lib.papers.dss.figures import DATASETS, draw_figures
from distill_lib.plots.compare import (
    Outcomes,
    Paired,
    cell_outcomes,
    claim,
    folder_outcomes,
    mean_std_cell,
    paired_table,
    paired_test,
)
from distill_lib.plots.records import UNTRAINED
from distill_lib.plots.results import write_table

NAMES = DATASETS  # readable dataset names, in the paper's order
REFERENCES = PROJECT_ROOT / "configs" / "references" / "dss.yaml"
METHOD_ORDER = (UNTRAINED, "standard_ft", "standard_distill", "dss", "single_task")


def references() -> dict[str, Any]:
    """The paper's reference numbers with their labels and sources (configs/references/dss.yaml)."""
    return yaml.safe_load(REFERENCES.read_text())


def dss_table(frame: pd.DataFrame, metric: str = "test_at_best") -> pd.DataFrame:
    """method x dataset at the full training set, plus the paper's reference rows (labelled as
    such)."""
    refs = references()
    full = frame[frame["fraction"] == 1.0]
    datasets = [d for d in NAMES if d in set(full["dataset"])]
    methods = [m for m in METHOD_ORDER if m in set(full["method"])]
    n_test = full.groupby("dataset")["n_test"].max()
    columns = {d: f"{NAMES[d]} (n={int(n_test[d]):,})" for d in datasets}
    rows = {}
    for method in methods:
        label = "untrained (step 0)" if method == UNTRAINED else f"ours: {method}"
        rows[label] = {
            columns[d]: mean_std_cell(full[(full.method == method) & (full.dataset == d)][metric])
            for d in datasets
        }
    for method, numbers in refs["t5_base"]["test_accuracy"].items():
        rows[f"{refs['t5_base']['label']}: {method}"] = {
            columns[d]: f"{numbers[d]:.1f}" for d in datasets
        }
    palm = refs["palm_few_shot"]
    rows[palm["label"]] = {columns[d]: f"{palm['test_accuracy'][d]:.1f}" for d in datasets}
    return pd.DataFrame.from_dict(rows, orient="index")


def fraction_curve(frame: pd.DataFrame) -> pd.DataFrame:
    """The trained cells of every (dataset, method) run at more than one training-set fraction."""
    trained = frame[frame["method"] != UNTRAINED]
    varied = trained.groupby(["dataset", "method"])["fraction"].transform("nunique") > 1
    return trained[varied]


def _fraction_label(fraction: float, n_train: float | None) -> str:
    """'25% (400 records)', or '25%' when the datasets differ in size or the records do not say."""
    count = "" if n_train is None or pd.isna(n_train) else f" ({int(n_train):,} records)"
    return f"{100 * fraction:g}%{count}"


def fraction_table(frame: pd.DataFrame, metric: str = "test_at_best") -> pd.DataFrame:
    """(dataset, method) x fraction of the training set, in order: `mean ± std (n seeds)` of test
    accuracy, n/a where a cell is missing; empty when no method ran at more than one fraction."""
    curve = fraction_curve(frame)
    rows = {
        f"{NAMES.get(dataset, dataset)}: {method}": {
            p: mean_std_cell(cells[metric]) for p, cells in part.groupby("fraction")
        }
        for (dataset, method), part in curve.groupby(["dataset", "method"], sort=False)
    }
    table = pd.DataFrame.from_dict(rows, orient="index").sort_index(axis=1).fillna("n/a")
    by_fraction = curve.groupby("fraction")["n_train"]
    sizes = by_fraction.agg(lambda n: n.max() if n.nunique() == 1 else None)
    return table.rename(columns=lambda p: _fraction_label(p, sizes.get(p)))


def dss_vs_standard(
    frame: pd.DataFrame,
    outcomes: Mapping[str, Outcomes],
    base: str = "standard_ft",
    other: str = "dss",
) -> list[tuple[str, Paired]]:
    """Per dataset at the full training set: the paired test of `other` against `base` on the test
    examples their cells share."""
    full = frame[frame["fraction"] == 1.0]
    rows = []
    for dataset in [d for d in NAMES if d in set(full["dataset"])]:
        a = full[(full.dataset == dataset) & (full.method == base)]
        b = full[(full.dataset == dataset) & (full.method == other)]
        if len(a) and len(b):
            paired = paired_test(
                cell_outcomes(a, outcomes), cell_outcomes(b, outcomes), "label", "label"
            )
            rows.append((dataset, paired))
    return rows


def claim_sentences(
    comparison: list[tuple[str, Paired]], base: str = "standard_ft", other: str = "dss"
) -> list[str]:
    """One sentence per dataset: the difference, its CI and p, and the verdict."""
    return [claim(NAMES[dataset], base, other, paired) for dataset, paired in comparison]


def split_axes(
    frame: pd.DataFrame, cfg: ExperimentConfig
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(the profile's student on gold labels, the model-size axis, the unlabelled setting) of a
    frame."""
    gold = frame["label_source"].fillna("gold") != "llm"
    main = frame[gold & (frame["student"] == cfg.student.name)]
    grid = cfg.grid
    sizes = (
        frame[
            gold
            & (frame["fraction"] == 1.0)
            & frame["dataset"].isin(grid.student_datasets)
            & frame["method"].isin(grid.student_methods)
        ]
        if grid.students
        else frame.iloc[0:0]
    )
    unlabelled = frame[~gold & (frame["student"] == cfg.student.name)]
    return main, sizes, unlabelled


def render_dss(
    frame: pd.DataFrame,
    out: Path,
    cfg: ExperimentConfig,
    note: str = "",
    skipped: pd.DataFrame | None = None,
) -> str:
    """Tables and figures into `out`; returns the README's Markdown block (table + comparison
    sentences).

    `note` (e.g. that a smoke run's numbers mean nothing) heads every table file and is printed on
    every figure; `skipped` cells (dataset, method, reason) are named with their reason under the
    figure where their bar is n/a.
    """
    main, sizes, unlabelled = split_axes(frame, cfg)
    table = dss_table(main)
    write_table(table, out / "dss_results", note)
    write_table(numeric_table(main), out / "dss_results_numeric", note)
    comparison = dss_vs_standard(main, folder_outcomes(cfg.name, cfg.profile))
    write_table(paired_table(comparison, "dataset").round(3), out / "dss_vs_standard_ft", note)
    draw_figures(
        main,
        fraction_curve(main),
        sizes,
        unlabelled,
        out,
        cfg,
        references(),
        note,
        skip_reasons(skipped),
    )
    sentences = "\n".join(f"- {s}" for s in claim_sentences(comparison))
    block = f"{table.to_markdown()}\n\n{sentences}\n"
    fractions = fraction_table(main)
    if len(fractions):
        write_table(fractions, out / "data_fraction", note)
        block += (
            "\nData-fraction curve (the same steps on a part of the training set), test accuracy "
            f"(%) at the best-validation step:\n\n{fractions.to_markdown()}\n"
        )
    return block


def skip_reasons(skipped: pd.DataFrame | None) -> dict[tuple[str, str], str]:
    """(dataset, method) -> why its cells were skipped, from a frame of skipped.json records."""
    if skipped is None or skipped.empty:
        return {}
    return {(r["dataset"], r["method"]): r["reason"] for _, r in skipped.iterrows()}


def numeric_table(frame: pd.DataFrame, metric: str = "test_at_best") -> pd.DataFrame:
    """method, dataset, fraction: mean, std and n of `metric` over seeds, as numbers (for CSV
    readers)."""
    grouped = frame.groupby(["method", "dataset", "fraction"])[metric]
    return grouped.agg(["mean", "std", "count"]).rename(columns={"count": "n"}).round(3)
