"""A config's grid: every cell run in order (finished cells reused: a run folder's metrics.json, or
failing that the cell's own result record, so a fresh machine never reruns a committed cell;
unavailable ones skipped with their reason; with `grid.cell_process: fresh`, each cell to run in a
child process of its own), the training notebooks' stage step, and the hardware line printed before
a grid.

Two grids on one run root share the work: each claims a cell before running it
(distill_lib.claims), skips a cell another live process holds, and at its end reads (or waits for)
those cells' metrics. A corrupt metrics.json is named, set aside and its cell run again.

To stop a grid without losing a cell, `touch <run dir>/STOP` (`stop_file`): every runner of that
grid started before the file finishes the cell it is running and stops before the next, saying how
to resume (run the grid again; a STOP file older than a run is ignored by it).

Deliberately left out: what happens inside one cell (distill_lib.experiment.run_cell), which
cells a grid holds (distill_lib.runs.grid_cells), and claims under `accelerate launch` (its
processes run each cell together, unclaimed).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distill_lib.cell_files import finished_metrics, is_finished
from distill_lib.child import call_in_fresh_process
from distill_lib.claims import CLAIM, describe, live_holder, release, try_claim
from distill_lib.config import ExperimentConfig
from distill_lib.config_values import ConfigError
from distill_lib.data.records import DataUnavailable, StageMissing
from distill_lib.eta import grid_eta
from distill_lib.experiment import run_cell
from distill_lib.models.precision import machine_info, resolve_precision
from distill_lib.results import read_results, recorded_metrics, records_results
from distill_lib.runs import cell_dir, cell_key, grid_cells, run_dir, write_json
from distill_lib.train.loop import process_state


def _skip(cell: ExperimentConfig, err: Exception) -> None:
    """Write the reason a cell cannot run (its data is unavailable) where tables will find it."""
    reason = {
        "dataset": cell.data.dataset,
        "method": cell.method.name,
        "seed": cell.train.seed,
        "fraction": cell.data.train_fraction,
        "reason": str(err),
    }
    write_json(cell_dir(cell) / "skipped.json", reason)


ELSEWHERE = "elsewhere"  # a cell another live process holds (distill_lib.claims)
POLL_S = 10.0


class GridStopped(Exception):
    """A STOP file newer than this run was found before a cell (the message says where)."""


def stop_file(cfg: ExperimentConfig) -> Path:
    """The file whose creation stops every runner of cfg's grid after its current cell."""
    return run_dir(cfg) / "STOP"


def check_stop(cfg: ExperimentConfig, started: float, before: str) -> None:
    """Raise GridStopped when stop_file(cfg) was touched at or after `started`."""
    path = stop_file(cfg)
    try:
        touched = path.stat().st_mtime
    except FileNotFoundError:
        return
    if touched >= started:
        raise GridStopped(
            f"{path} (touched after this run started): stopping before {before}; finished cells "
            "are kept, run the grid again to resume"
        )


def _log_finished(log: Any, tag: str, key: str, metrics: dict[str, Any], where: str = "") -> None:
    log(f"{tag} {key}:{where} {cell_scores(metrics)}")


def cell_scores(metrics: dict[str, Any]) -> str:
    """One finished cell's scores in a few words: validation at the tested step, test at the best
    and last steps (a tuning cell has no test)."""
    valid = metrics.get("valid_at_best", {}).get("primary")
    words = f" valid {valid:.2f}" if valid is not None else ""
    words += f" (step {metrics['best_step']})"
    if metrics.get("test_at_best"):
        words += f", test@best {metrics['test_at_best']['primary']:.2f}"
        words += f", test@last {metrics['test_at_last']['primary']:.2f}"
    return words


def check_tuned(cfg: ExperimentConfig) -> None:
    """A grid tuned by a sweep (`grid.tuned_by`) runs only once each of its methods has its
    settings in grid.method_overrides (a ConfigError naming the methods otherwise)."""
    grid = cfg.grid
    methods = {*grid.methods, *grid.extra_seed_methods, *grid.fraction_methods}
    missing = sorted(m for m in methods if m not in grid.method_overrides)
    if grid.tuned_by and missing:
        raise ConfigError(
            f"{cfg.name}/{cfg.profile}: grid.tuned_by = {grid.tuned_by!r} but "
            f"grid.method_overrides has no settings for {missing}: finish the sweep (profile "
            f"{grid.tuned_by}) and copy the 'choice' of "
            f"results/{cfg.name}/{grid.tuned_by}/stages/choice.json into method_overrides"
        )


def run_grid(
    cfg: ExperimentConfig, log: Any = print, wait: bool = True, poll_s: float = POLL_S
) -> list[dict[str, Any]]:
    """Run every cell of the grid; a cell whose data cannot be had is skipped with its reason, said
    aloud and written to `skipped.json` (so tables show it as n/a, never silently), except when a
    stage every cell reads has not run (StageMissing): that stops the grid at once. Prints the
    device, the precision, the number of cells and an ETA first, and the ETA again before each
    cell. A cell another grid on this run root is running is left to it; at the end this grid waits
    for it (`wait`, polling every `poll_s` seconds) and reads its metrics, runs it itself when its
    claim is released without a result, and reports one claimed on another host as running
    there."""
    check_tuned(cfg)
    cells = grid_cells(cfg)
    main = process_state().is_main_process
    done = {}
    for cell in cells:
        metrics = finished_metrics(cell_dir(cell), rename=main)
        if metrics is None:
            metrics = recorded_metrics(cell)
        if metrics is not None:
            done[cell_key(cell)] = metrics
    committed = read_results(cfg.name, cfg.profile) if records_results(cfg) else []
    to_run = [c for c in cells if cell_key(c) not in done]
    log(
        f"{describe_hardware(cfg)} | {len(cells)} cells, {len(done)} finished, {len(to_run)} to "
        "run | " + grid_eta(to_run, list(done.values()), committed)
    )
    warning = hardware_warning(cfg)
    if warning:
        log(warning)
    grid = _Grid(len(cells), done, to_run, committed, log, cfg)
    results, elsewhere = [], []
    try:
        for number, cell in enumerate(cells, start=1):
            metrics = grid.step(number, cell)
            if metrics == ELSEWHERE:
                elsewhere.append((number, cell))
            elif metrics is not None:
                results.append(metrics)
        return results + grid.finish(elsewhere, wait, poll_s)
    except GridStopped as stop:
        log(f"STOP: {stop}")
        return results


@dataclass
class _Grid:
    """One grid run's state: finished metrics by key, the cells to run, the committed records (for
    the ETA), the log and the grid's config (its stop file); claims are taken only when the grid
    runs in one process."""

    size: int
    done: dict[str, dict[str, Any]]
    to_run: list[ExperimentConfig]
    committed: list[dict[str, Any]]
    log: Any
    cfg: ExperimentConfig
    shared: bool = field(default_factory=lambda: process_state().num_processes == 1)
    started: float = field(default_factory=time.time)

    def step(self, number: int, cell: ExperimentConfig) -> dict[str, Any] | str | None:
        """Run (or read back) one cell: its metrics, None when skipped, ELSEWHERE when claimed."""
        key, tag = cell_key(cell), f"[{number}/{self.size}]"
        if key not in self.done:
            check_stop(self.cfg, self.started, f"{tag} {key}")
        claim = None
        if key not in self.done and self.shared:
            claim = try_claim(cell_dir(cell))
            if claim is None:
                return self._elsewhere(cell, tag, key)
        try:
            if key not in self.done:
                remaining = [c for c in self.to_run if cell_key(c) not in self.done]
                self.log(
                    f"{tag} {key}: running | "
                    + grid_eta(remaining, list(self.done.values()), self.committed)
                )
            return self._run(cell, tag, key)
        finally:
            if claim is not None:
                release(claim)

    def _elsewhere(self, cell: ExperimentConfig, tag: str, key: str) -> str:
        holder = describe(live_holder(cell_dir(cell)), cell_dir(cell) / CLAIM)
        self.log(f"{tag} {key}: running elsewhere ({holder}); coming back to it at the end")
        return ELSEWHERE

    def _run(self, cell: ExperimentConfig, tag: str, key: str) -> dict[str, Any] | None:
        if key in self.done and not is_finished(cell_dir(cell)):
            _log_finished(self.log, tag, key, self.done[key], " (its record; no run folder here)")
            return self.done[key]
        try:
            metrics = cell_runner(cell)(cell)
        except StageMissing:  # the same for every cell: stop once, the message says what to run
            raise
        except DataUnavailable as err:
            if process_state().is_main_process:
                _skip(cell, err)
                self.log(f"{tag} SKIPPED {key}: {err}")
            return None
        self.done[key] = metrics
        _log_finished(self.log, tag, key, metrics)
        return metrics

    def finish(
        self, pending: list[tuple[int, ExperimentConfig]], wait: bool, poll_s: float
    ) -> list[dict[str, Any]]:
        """The cells left to other processes: read each one's metrics once it finishes, run it
        here when its claim goes without a result; wait for live claims on this host (`wait`)."""
        results = []
        while pending:
            still = []
            for number, cell in pending:
                folder, tag, key = cell_dir(cell), f"[{number}/{self.size}]", cell_key(cell)
                metrics = finished_metrics(folder)
                holder = live_holder(folder) if metrics is None else None
                if metrics is not None:
                    _log_finished(self.log, tag, key, metrics, " finished elsewhere |")
                    results.append(metrics)
                elif holder is None:
                    metrics = self.step(number, cell)
                    if metrics == ELSEWHERE:
                        still.append((number, cell))
                    elif metrics is not None:
                        results.append(metrics)
                elif wait and holder.get("host") == socket.gethostname():
                    still.append((number, cell))
                else:
                    where = describe(holder, folder / CLAIM)
                    self.log(f"{tag} {key}: still running elsewhere ({where}); not waited for")
            pending = still
            if pending:
                time.sleep(poll_s)
        return results


def cell_runner(cell: ExperimentConfig) -> Callable[[ExperimentConfig], dict[str, Any]]:
    """run_cell itself, or (`grid.cell_process: fresh`, one process, cell not finished) run_cell in
    a fresh child process: a long grid in one process was seen to grow by about a gigabyte a cell
    even with each cell's objects collected, and only a process's end returns all of it."""
    finished = is_finished(cell_dir(cell))
    if cell.grid.cell_process == "same" or finished or process_state().num_processes > 1:
        return run_cell
    return run_cell_in_fresh_process


def run_cell_in_fresh_process(cell: ExperimentConfig) -> dict[str, Any]:
    """experiment.run_cell in a spawned child that dies with this process (distill_lib.child; its
    output goes to this process's stdout and stderr; its exceptions, DataUnavailable included, are
    raised here)."""
    from distill_lib import experiment

    return call_in_fresh_process(experiment.run_cell, cell)


def train_stage(cfg: ExperimentConfig, stage_dir: Path, log: Any = print) -> dict[str, Any]:
    """The training notebook's step: run the grid, write and return its summary
    (stage_dir/metrics.json)."""
    results = run_grid(cfg, log)
    summary = {
        "cells_finished": len(results),
        "datasets": sorted({m["dataset"] for m in results}),
        "methods": sorted({m["method"] for m in results}),
        "n_test": sorted({m["n_test"] for m in results}),
    }
    write_json(stage_dir / "metrics.json", summary)
    return summary


def describe_hardware(cfg: ExperimentConfig) -> str:
    """One line: the device, its model and the precision training will use."""
    import torch

    precision = resolve_precision(cfg.train.precision)
    info = machine_info(precision)
    device = f"GPU {info['gpu']} x{info['gpu_count']}" if torch.cuda.is_available() else "CPU"
    return (
        f"{cfg.name}/{cfg.profile}: {device} ({info['cpu']}, {info['cpu_cores']} cores, "
        f"{info['torch_threads']} torch threads) | precision {precision}"
    )


def hardware_warning(cfg: ExperimentConfig) -> str:
    """A warning when a profile sized for a GPU starts without one, or fp32 runs where bf16 was
    expected."""
    import torch

    if cfg.grid.sized_for == "gpu" and not torch.cuda.is_available():
        return (
            f"WARNING: profile '{cfg.profile}' is sized for a GPU and no GPU is visible: on this "
            "CPU it can "
            "take a day or more. The 'cpu' profile is sized for a CPU."
        )
    if cfg.grid.sized_for == "cpu" and resolve_precision(cfg.train.precision) == "fp32":
        return (
            "WARNING: this CPU has no native bf16 (AVX512-BF16 / AMX): training runs in fp32, "
            "about 3x "
            "slower than the profile's budget assumes."
        )
    return ""
