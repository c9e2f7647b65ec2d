"""Committed result records (results/<experiment>/<profile>/) as one table, checked to be one
configuration.

`results_frame(experiment, profile)` flattens every record into a row (dataset, method, label
source, seed, fraction, untrained, test accuracy at the best and last steps, n, wall time,
precision, machine, commit). `check_one_configuration(records)` refuses to mix: the trained records
must agree on every identity setting except the grid's axes (dataset, method, label source, seed,
fraction), and so must the untrained ones; a setting the grid gives one method
(`grid.method_overrides`, e.g. a tuned learning rate) may differ between methods but not between
the records of one method. Otherwise the error names the differing settings and an example record
of each value.

Deliberately left out: the papers' layouts (distill_lib.papers.dss.report and the notebooks) and
drawing.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from distill_lib.results import read_results

GRID_AXES = (
    "data.dataset",
    "method.name",
    "method.label_source",
    "train.seed",
    "data.train_fraction",
    "student.name",
)


class MixedConfigurations(ValueError):
    """Records in one results folder come from configurations that differ beyond the grid's axes."""


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict) and value and key not in ("options", "scoring", "prices"):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = json.dumps(value, sort_keys=True, default=str)
    return out


def method_override_keys(records: list[dict[str, Any]]) -> set[str]:
    """The dotted settings the records' grids give single methods (grid.method_overrides)."""
    keys: set[str] = set()
    for record in records:
        overrides = record.get("config", {}).get("grid", {}).get("method_overrides", {})
        for settings in overrides.values():
            keys.update(settings)
    return keys


def check_one_configuration(records: list[dict[str, Any]]) -> None:
    """Raise MixedConfigurations when records (trained, or untrained, separately) differ beyond the
    axes; a setting of grid.method_overrides may differ between methods, never within one."""
    overrides = method_override_keys(records)
    for untrained in (False, True):
        group = [r for r in records if bool(r["metrics"].get("untrained")) == untrained]
        _refuse_mixed(group, untrained, lambda k: k not in GRID_AXES and k not in overrides)
        for method in {r["metrics"]["method"] for r in group}:
            same = [r for r in group if r["metrics"]["method"] == method]
            _refuse_mixed(same, untrained, lambda k: k in overrides)


def _refuse_mixed(group: list[dict[str, Any]], untrained: bool, compared: Any) -> None:
    """MixedConfigurations naming the first identity setting (`compared(key)`) that differs."""
    if len(group) < 2:
        return
    flat = [{k: v for k, v in _flatten(r["identity"]).items() if compared(k)} for r in group]
    keys = sorted(set().union(*flat))
    differing = [k for k in keys if len({f.get(k) for f in flat}) > 1]
    if differing:
        key = differing[0]
        examples = {f.get(key): r["key"] for f, r in zip(flat, group, strict=True)}
        raise MixedConfigurations(
            f"{len(group)} {'untrained' if untrained else 'trained'} records differ in "
            f"{differing}; e.g. "
            f"{key}: "
            + "; ".join(f"{value} in {where}" for value, where in examples.items())
            + ". If a run of yours wrote into this folder, restore the committed records "
            "(`git checkout -- results/`): runs now write to runs/results/ unless "
            "DISTILL_RESULTS_ROOT is set, and `make figures` shows them beside the committed "
            "ones; otherwise move the other configuration's records to another folder."
        )


UNTRAINED = "untrained"


def metrics_row(m: dict[str, Any]) -> dict[str, Any]:
    """One flat row of a cell's metrics; an untrained cell's method reads 'untrained', a method
    trained on the teacher's labels '<method>-llm'; the validation history and losses ride along as
    lists."""
    row = {
        k: m.get(k)
        for k in (
            "cell",
            "dataset",
            "method",
            "label_source",
            "seed",
            "fraction",
            "untrained",
            "student",
            "student_params",
            "best_step",
            "last_step",
            "n_train",
            "n_test",
            "train_wall_s",
            "cell_wall_s",
            "train_tokens_per_s",
            "precision",
        )
    }
    row["untrained"] = bool(row["untrained"])
    if row["untrained"]:
        row["method"] = UNTRAINED
    elif row["label_source"] == "llm":
        # trained on the teacher's labels: the unlabelled setting
        row["method"] = f"{row['method']}-llm"
    row["history"], row["losses"] = m.get("history", []), m.get("losses", [])
    row["summary"] = m.get("summary", {})
    for when in ("test_at_best", "test_at_last", "valid_at_best"):
        scores = m.get(when, {})
        row[when] = scores.get("primary")
        for key, value in scores.items():
            if isinstance(value, dict) and "primary" in value and key != "label":
                row[f"{when}:{key}"] = value["primary"]
    return row


def record_row(record: dict[str, Any]) -> dict[str, Any]:
    """One flat row of a result record: its metrics, key, commit and machine."""
    machine = record.get("machine", {})
    return {
        **metrics_row(record["metrics"]),
        "key": record["key"],
        "commit": record.get("commit"),
        "cpu": machine.get("cpu"),
        "gpu": machine.get("gpu"),
    }


def results_frame(experiment: str, profile: str, check: bool = True) -> pd.DataFrame:
    """Every committed record of experiment/profile as rows (empty frame when there are none)."""
    records = read_results(experiment, profile)
    if check:
        check_one_configuration(records)
    return pd.DataFrame([record_row(r) for r in records])


def training_frames(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(validation history with the selected step flagged, training losses), one `cell` label per
    row."""
    history, losses = [], []
    for row in frame.itertuples():
        label = f"{row.dataset}/{row.method}/seed{row.seed}"
        history += [
            {**h, "cell": label, "selected": h["step"] == row.best_step}
            for h in (row.history or [])
        ]
        losses += [{**point, "cell": label} for point in (row.losses or [])]
    return pd.DataFrame(history, columns=["step", "valid", "cell", "selected"]), pd.DataFrame(
        losses
    )
