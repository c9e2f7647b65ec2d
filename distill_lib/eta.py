"""How long the cells still to run will take, from the best evidence at hand, said with its source.

Per cell, in order: the same cell's committed result record, or failing that the committed record of
the same grid position under other settings (results/: measured on the machine it names), else the
mean wall time of cells with the same method and dataset (finished in this run, else committed),
else the same method, else any trained cell (untrained cells are estimated only from untrained
cells). Cells with no evidence make the total a lower bound, and the line says how many are
missing from it. Once cells of this run have finished at grid positions the committed records also
hold, the estimates taken from those records are scaled by this run's pace against them (its wall
time over theirs, summed over those cells): the records may come from another machine, or from one
shared with other work. Until then, when the records' machine differs from this one in how it
computes a bf16 training step (AMX tiles, AVX512-BF16 without AMX, or fp32 only: their `machine`
fields, models.precision's checks here) or in torch threads, their estimates are scaled by the two
machines' expected step throughput (`machine_speed`: threads x a per-thread rate for that kind of
CPU, from the measurements in docs/performance.md). A record without those fields is not scaled.

Deliberately left out: probing the hardware (a timed step) before any cell has finished, and telling
CPU vendors or generations apart beyond those features.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from distill_lib.config import ExperimentConfig
from distill_lib.models.cpu_kinds import describe, machine_speed
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


def pace_against_committed(
    finished: Sequence[dict[str, Any]], by_key: dict[str, dict[str, Any]]
) -> tuple[float, int] | None:
    """(this run's wall time / the committed records' for the same grid positions, cells compared),
    or None when no finished cell of this run has a committed record at its position. A record of
    the very cell (the same key: this run root's own earlier cells, committed) is not compared."""
    pairs = []
    for metrics in finished:
        record = by_key.get(key_prefix(str(metrics.get("cell", ""))))
        if record is None or record.get("key") == metrics.get("cell"):
            continue
        theirs = record["metrics"].get("cell_wall_s")
        if metrics.get("cell_wall_s") and theirs:
            pairs.append((float(metrics["cell_wall_s"]), float(theirs)))
    if not pairs:
        return None
    return sum(ours for ours, _ in pairs) / sum(theirs for _, theirs in pairs), len(pairs)


def machine_factor(
    machines: Sequence[dict[str, Any]], here: dict[str, Any]
) -> tuple[float, str] | None:
    """(this machine's expected time over the records', its reason) when the records' machines
    are all known and expected to differ from this one; else None."""
    speeds = [machine_speed(m) for m in machines]
    ours = machine_speed(here)
    if not machines or ours is None or any(s is None for s in speeds):
        return None
    factor = sum(speeds) / len(speeds) / ours  # type: ignore[arg-type]
    if abs(factor - 1.0) < 0.05:
        return None
    kinds = sorted({describe(m) for m in machines})
    return factor, f"this CPU ({describe(here)}) against theirs ({'; '.join(kinds)})"


def _position_machines(
    to_run: Sequence[ExperimentConfig], committed: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    positions = {key_prefix(cell_key(c)) for c in to_run}
    return [r.get("machine", {}) for r in committed if key_prefix(r["key"]) in positions]


def _committed_source(
    machines: Sequence[dict[str, Any]],
    pace: tuple[float, int] | None,
    scaled: tuple[float, str] | None,
) -> str:
    """How the committed evidence is named in the ETA line: its machines, and the scaling
    applied."""
    names = sorted({m.get("gpu") or m.get("cpu", "?") for m in machines})
    text = f"the committed results (measured on {', '.join(names)})"
    if pace:
        text += f" scaled by {pace[0]:.2f} (this run's pace against them over {pace[1]} cell(s))"
    elif scaled:
        text += f" scaled by {scaled[0]:.2f} for {scaled[1]}"
    return text


def grid_eta(
    to_run: Sequence[ExperimentConfig],
    finished: Sequence[dict[str, Any]],
    committed: Sequence[dict[str, Any]],
    here: dict[str, Any] | None = None,
) -> str:
    """One line: the estimated time for `to_run` and where the estimate comes from; `here` is this
    machine (models.precision.machine_info() when None)."""
    if not to_run:
        return "nothing to run"
    by_key = {**{key_prefix(r["key"]): r for r in committed}, **{r["key"]: r for r in committed}}
    estimates = [cell_seconds(c, finished, by_key) for c in to_run]
    known = [(seconds, source) for seconds, source in estimates if seconds is not None]
    if not known:
        return "ETA: known after the first cell of each kind (trained, untrained) finishes"
    pace = pace_against_committed(finished, by_key)
    machines = _position_machines(to_run, committed)
    scaled = None if pace else machine_factor(machines, here or _this_machine())
    factor = pace[0] if pace else scaled[0] if scaled else 1.0
    total = sum(seconds * (factor if source == "committed" else 1.0) for seconds, source in known)
    sources = {source for _, source in known}
    source = " and ".join(sorted(sources)).replace(
        "committed", _committed_source(machines, pace, scaled)
    )
    if len(known) == len(to_run):
        return f"ETA {total / 3600:.1f} h for {len(to_run)} cell(s), from {source}"
    return (
        f"ETA at least {total / 3600:.1f} h: {len(known)} of {len(to_run)} cell(s) estimated from "
        f"{source}; the other {len(to_run) - len(known)} once a cell of their kind finishes"
    )


def _this_machine() -> dict[str, Any]:
    from distill_lib.models.precision import machine_info

    return machine_info()
