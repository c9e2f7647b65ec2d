"""A config's grid: every cell run in order (finished cells reused, unavailable ones skipped with
their reason; with `grid.cell_process: fresh`, each cell to run in a child process of its own), the
training notebooks' stage step, and the hardware line printed before a grid.

Deliberately left out: what happens inside one cell (distill_lib.experiment.run_cell) and which
cells a grid holds (distill_lib.runs.grid_cells).
"""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Callable
from pathlib import Path
from typing import Any

from distill_lib.config import ExperimentConfig
from distill_lib.data.records import DataUnavailable
from distill_lib.eta import grid_eta
from distill_lib.experiment import run_cell
from distill_lib.models.precision import machine_info, resolve_precision
from distill_lib.results import read_results, records_results
from distill_lib.runs import cell_dir, cell_key, grid_cells, write_json
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


def run_grid(cfg: ExperimentConfig, log: Any = print) -> list[dict[str, Any]]:
    """Run every cell of the grid; a cell whose data cannot be had is skipped with its reason, said
    aloud and written to `skipped.json` (so tables show it as n/a, never silently). Prints the
    device, the precision, the number of cells and an ETA first, and the ETA again before each
    cell."""
    cells = grid_cells(cfg)
    done = {
        cell_key(c): json.loads((cell_dir(c) / "metrics.json").read_text())
        for c in cells
        if (cell_dir(c) / "metrics.json").exists()
    }
    committed = read_results(cfg.name, cfg.profile) if records_results(cfg) else []
    to_run = [c for c in cells if cell_key(c) not in done]
    log(
        f"{describe_hardware(cfg)} | {len(cells)} cells, {len(done)} finished, {len(to_run)} to "
        "run | " + grid_eta(to_run, list(done.values()), committed)
    )
    warning = hardware_warning(cfg)
    if warning:
        log(warning)
    results = []
    for number, cell in enumerate(cells, start=1):
        key = cell_key(cell)
        if key not in done:
            remaining = [c for c in to_run if cell_key(c) not in done]
            log(
                f"[{number}/{len(cells)}] {key}: running | "
                + grid_eta(remaining, list(done.values()), committed)
            )
        try:
            metrics = cell_runner(cell)(cell)
        except DataUnavailable as err:
            if process_state().is_main_process:
                _skip(cell, err)
                log(f"[{number}/{len(cells)}] SKIPPED {key}: {err}")
            continue
        done[key] = metrics
        log(
            f"[{number}/{len(cells)}] {key}: test@best {metrics['test_at_best']['primary']:.2f} "
            f"(step {metrics['best_step']}), test@last {metrics['test_at_last']['primary']:.2f}"
        )
        results.append(metrics)
    return results


def cell_runner(cell: ExperimentConfig) -> Callable[[ExperimentConfig], dict[str, Any]]:
    """run_cell itself, or (`grid.cell_process: fresh`, one process, cell not finished) run_cell in
    a fresh child process: a long grid in one process was seen to grow by about a gigabyte a cell
    even with each cell's objects collected, and only a process's end returns all of it."""
    finished = (cell_dir(cell) / "metrics.json").exists()
    if cell.grid.cell_process == "same" or finished or process_state().num_processes > 1:
        return run_cell
    return run_cell_in_fresh_process


def run_cell_in_fresh_process(cell: ExperimentConfig) -> dict[str, Any]:
    """experiment.run_cell in a spawned child (its output goes to this process's stdout and
    stderr; its exceptions, DataUnavailable included, are raised here)."""
    from distill_lib import experiment

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(experiment.run_cell, (cell,))


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
