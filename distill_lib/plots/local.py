"""Your run beside the committed results: the records a `make reproduce` on this machine wrote to
its own tree (runs/results/<experiment>/<profile>/, see distill_lib.runs) set next to the
committed records of the same experiment and profile, one row per dataset, method and fraction.

`local_vs_committed(experiment, profile)` is that table (mean ± std (n seeds) of test accuracy at
the selected step on each side, and the precision each side trained in); `render_local()` writes
it for every local folder to figures/<experiment>/<profile>/local_vs_committed.{md,csv} and returns
the tables, which `make figures` prints after the committed results.

Deliberately left out: the README (its blocks show the committed records only), the papers' own
layouts, and any check that the two sides share a configuration (they often do not: that is what
the table is for).
"""

from __future__ import annotations

import pandas as pd

from distill_lib.plots.records import record_row
from distill_lib.plots.results import write_table
from distill_lib.results import read_results
from distill_lib.runs import figures_dir, results_dir

KEYS = ["dataset", "method", "fraction"]


def local_folders() -> list[tuple[str, str]]:
    """(experiment, profile) of every local results folder that holds at least one record."""
    root = results_dir("x", "y", local=True).parent.parent
    return sorted(
        (p.parent.name, p.name) for p in root.glob("*/*") if p.is_dir() and any(p.rglob("*.json"))
    )


def _summary(records: list[dict], side: str) -> pd.DataFrame:
    """mean ± std (n) of test@best per dataset, method and fraction, and the precisions used."""
    frame = pd.DataFrame([record_row(r) for r in records])
    if frame.empty:
        return pd.DataFrame(columns=[*KEYS, side, f"{side} precision"])
    grouped = frame.groupby(KEYS)
    stats = grouped["test_at_best"].agg(["mean", "std", "count"])
    text = stats.apply(
        lambda r: (
            f"{r['mean']:.2f} ± {0.0 if pd.isna(r['std']) else r['std']:.2f} ({int(r['count'])})"
        ),
        axis=1,
    )
    precision = grouped["precision"].agg(lambda p: ", ".join(sorted({str(v) for v in p})))
    return pd.DataFrame({side: text, f"{side} precision": precision}).reset_index()


def local_vs_committed(experiment: str, profile: str) -> pd.DataFrame:
    """One row per dataset, method and fraction present on either side ('n/a' where absent)."""
    yours = _summary(read_results(experiment, profile, local=True), "your run")
    committed = _summary(read_results(experiment, profile), "committed")
    table = committed.merge(yours, on=KEYS, how="outer").fillna("n/a")
    return table.sort_values(KEYS).set_index(KEYS)


def render_local() -> dict[str, pd.DataFrame]:
    """Write and return the table of every local results folder, by '<experiment>/<profile>'."""
    tables = {}
    for experiment, profile in local_folders():
        table = local_vs_committed(experiment, profile)
        out = figures_dir(experiment=experiment, profile=profile) / "local_vs_committed"
        note = (
            f"your run (runs/results/{experiment}/{profile}/) vs the committed results "
            f"(results/{experiment}/{profile}/): test accuracy at the selected step"
        )
        write_table(table, out, note)
        tables[f"{experiment}/{profile}"] = table
    return tables
