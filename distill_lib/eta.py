"""How long the cells still to run will take, from the best evidence at hand, said with its source.

Per cell, in order: the same cell's committed result record, or failing that the committed record of
the same grid position under other settings (results/: measured on the machine it names), else the
mean wall time of cells with the same method and dataset (finished in this run, else committed),
else the same method, else any trained cell (untrained cells are estimated only from untrained
cells). Cells with no evidence make the total a lower bound, and the line says how many are
missing from it.

Deliberately left out: probing the hardware (a timed step) and scaling between machines; the
committed records say which machine measured them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from distill_lib.config import ExperimentConfig
from distill_lib.results import key_prefix
from distill_lib.runs import cell_key


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def cell_seconds(
    cell: ExperimentConfig, finished: Sequence[dict[str, Any]], committed: dict[str, dict[str, Any]]
) -> tuple[float | None, str]:
    """(estimated seconds, evidence) for one cell still to run."""
    record = committed.get(cell_key(cell)) or committed.get(key_prefix(cell_key(cell)))
    if record and record["metrics"].get("cell_wall_s"):
        return float(record["metrics"]["cell_wall_s"]), "committed"
    untrained = cell.train.max_steps == 0
    records = {id(r): r["metrics"] for r in committed.values()}.values()  # keyed twice: once each
    pools = {"this run": finished, "committed": list(records)}
    for keep in (
        lambda m: m.get("method") == cell.method.name and m.get("dataset") == cell.data.dataset,
        lambda m: m.get("method") == cell.method.name,
        lambda m: True,
    ):
        for source, pool in pools.items():
            alike = [m for m in pool if bool(m.get("untrained")) == untrained and keep(m)]
            seconds = _mean([float(m["cell_wall_s"]) for m in alike if m.get("cell_wall_s")])
            if seconds is not None:
                return seconds, source
    return None, "none"


def grid_eta(
    to_run: Sequence[ExperimentConfig],
    finished: Sequence[dict[str, Any]],
    committed: Sequence[dict[str, Any]],
) -> str:
    """One line: the estimated time for `to_run` and where the estimate comes from."""
    if not to_run:
        return "nothing to run"
    by_key = {**{key_prefix(r["key"]): r for r in committed}, **{r["key"]: r for r in committed}}
    estimates = [cell_seconds(c, finished, by_key) for c in to_run]
    known = [(seconds, source) for seconds, source in estimates if seconds is not None]
    if not known:
        return "ETA: known after the first cell of each kind (trained, untrained) finishes"
    total = sum(seconds for seconds, _ in known)
    sources = {source for _, source in known}
    positions = {key_prefix(cell_key(c)) for c in to_run}
    machines = sorted(
        {
            r.get("machine", {}).get("gpu") or r.get("machine", {}).get("cpu", "?")
            for r in committed
            if key_prefix(r["key"]) in positions
        }
    )
    source = " and ".join(sorted(sources)).replace(
        "committed", f"the committed results (measured on {', '.join(machines)})"
    )
    if len(known) == len(to_run):
        return f"ETA {total / 3600:.1f} h for {len(to_run)} cell(s), from {source}"
    return (
        f"ETA at least {total / 3600:.1f} h: {len(known)} of {len(to_run)} cell(s) estimated from "
        f"{source}; the other {len(to_run) - len(known)} once a cell of their kind finishes"
    )
