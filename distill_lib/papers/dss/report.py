"""The DSS results in the paper's layout, from a frame of cells (committed results or a run folder).

- `dss_table`: method x dataset, `mean ± std (n seeds)` of test accuracy at the best-validation step, the
  untrained row first, then the paper's T5-Base rows and the PaLM-540B few-shot row, each labelled (the numbers
  and their sources: configs/references/dss.yaml).
- `dss_vs_standard`: DSS minus standard finetuning per dataset, set against the seed spread (the larger of the
  two seed standard deviations, and the standard error of the difference of means).
- `claim_sentences`: one plain sentence per dataset from those numbers (nothing typed by hand).
- `render_dss(frame, out)`: writes the tables (Markdown + CSV) and the figures into `out`, and returns the
  Markdown block for the README.

Deliberately left out: reading the records (distill_lib.plots.records) and training anything.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from distill_lib.config import PROJECT_ROOT
from distill_lib.plots.figures import fraction_curves, method_bars, save
from distill_lib.plots.records import UNTRAINED
from distill_lib.plots.results import write_table

NAMES = {"esnli": "e-SNLI", "anli1": "ANLI-R1", "cqa": "CQA", "svamp": "SVAMP"}
REFERENCES = PROJECT_ROOT / "configs" / "references" / "dss.yaml"
SMOKE_NOTE = "SMOKE RUN: a tiny randomly initialised student; these numbers mean nothing"
METHOD_ORDER = (UNTRAINED, "standard_ft", "standard_distill", "dss", "single_task")


def _cell(values: pd.Series) -> str:
    if values.empty:
        return "n/a"
    std = values.std() if len(values) > 1 else float("nan")
    spread = "" if math.isnan(std) else f" ± {std:.1f}"
    return f"{values.mean():.1f}{spread} ({len(values)})"


def references() -> dict[str, Any]:
    """The paper's reference numbers with their labels and sources (configs/references/dss.yaml)."""
    return yaml.safe_load(REFERENCES.read_text())


def dss_table(frame: pd.DataFrame, metric: str = "test_at_best") -> pd.DataFrame:
    """method x dataset at the full training set, plus the paper's reference rows (labelled as such)."""
    refs = references()
    full = frame[frame["fraction"] == 1.0]
    datasets = [d for d in NAMES if d in set(full["dataset"])]
    methods = [m for m in METHOD_ORDER if m in set(full["method"])]
    n_test = full.groupby("dataset")["n_test"].max()
    columns = {d: f"{NAMES[d]} (n={int(n_test[d]):,})" for d in datasets}
    rows = {}
    for method in methods:
        label = "untrained (step 0)" if method == UNTRAINED else f"ours: {method}"
        rows[label] = {columns[d]: _cell(full[(full.method == method) & (full.dataset == d)][metric])
                       for d in datasets}
    for method, numbers in refs["t5_base"]["test_accuracy"].items():
        rows[f"{refs['t5_base']['label']}: {method}"] = {columns[d]: f"{numbers[d]:.1f}" for d in datasets}
    palm = refs["palm_few_shot"]
    rows[palm["label"]] = {columns[d]: f"{palm['test_accuracy'][d]:.1f}" for d in datasets}
    return pd.DataFrame.from_dict(rows, orient="index")


def dss_vs_standard(frame: pd.DataFrame, metric: str = "test_at_best", base: str = "standard_ft",
                    other: str = "dss") -> pd.DataFrame:
    """Per dataset: both methods' mean, seed std and n, the difference, and the difference's standard error."""
    full = frame[frame["fraction"] == 1.0]
    rows = []
    for dataset in [d for d in NAMES if d in set(full["dataset"])]:
        a = full[(full.dataset == dataset) & (full.method == base)][metric]
        b = full[(full.dataset == dataset) & (full.method == other)][metric]
        if a.empty or b.empty:
            continue
        se = math.sqrt(a.var() / len(a) + b.var() / len(b)) if min(len(a), len(b)) > 1 else float("nan")
        rows.append({"dataset": dataset, f"{base} mean": a.mean(), f"{base} std": a.std(), f"{base} n": len(a),
                     f"{other} mean": b.mean(), f"{other} std": b.std(), f"{other} n": len(b),
                     "difference": b.mean() - a.mean(), "larger seed std": max(a.std(), b.std()),
                     "se of difference": se})
    return pd.DataFrame(rows)


def claim_sentences(comparison: pd.DataFrame, base: str = "standard_ft", other: str = "dss") -> list[str]:
    """One sentence per dataset: who is ahead, by how much, against the seed spread."""
    sentences = []
    for row in comparison.to_dict(orient="records"):
        name, diff = NAMES[row["dataset"]], row["difference"]
        lead = f"{other} is ahead of {base}" if diff > 0 else f"{other} is behind {base}" if diff < 0 else "tie"
        head = f"{name}: {lead} by {abs(diff):.1f} points ({row[f'{other} mean']:.1f} vs {row[f'{base} mean']:.1f})"
        if math.isnan(row["se of difference"]):
            sentences.append(f"{head}; one seed only, so there is no seed spread to compare with.")
            continue
        ratio = abs(diff) / row["se of difference"] if row["se of difference"] > 0 else math.inf
        verdict = "larger than" if ratio >= 2 else "within"
        sentences.append(f"{head}, {verdict} two standard errors of the difference ({row['se of difference']:.1f}; "
                         f"seed std up to {row['larger seed std']:.1f}, {row[f'{base} n']} and "
                         f"{row[f'{other} n']} seeds).")
    return sentences


def render_dss(frame: pd.DataFrame, out: Path, title: str, note: str = "") -> str:
    """Tables and figures into `out`; returns the README's Markdown block (table + comparison sentences).

    `note` (e.g. that a smoke run's numbers mean nothing) heads every table file and every figure title.
    """
    table = dss_table(frame)
    write_table(table, out / "dss_results", note)
    comparison = dss_vs_standard(frame)
    write_table(comparison.round(2), out / "dss_vs_standard_ft", note)
    trained = frame[frame["method"] != UNTRAINED]
    title = f"{note}\n{title}" if note else title
    palm = references()["palm_few_shot"]["test_accuracy"]
    save(method_bars(frame, reference=palm, title=title), out / "method_by_dataset.png")
    curve = trained[trained.groupby(["dataset", "method"])["fraction"].transform("nunique") > 1]
    if len(curve):
        save(fraction_curves(curve, title=f"{title}: accuracy vs training-data fraction"), out / "data_fraction.png")
    sentences = "\n".join(f"- {s}" for s in claim_sentences(comparison))
    return f"{table.to_markdown()}\n\n{sentences}\n"
