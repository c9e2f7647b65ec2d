"""Where a cell's time goes: loading, training steps, checkpoints and each evaluation pass, from one
short real cell run here, or from finished cells' metrics.json.

A run (default) trains and evaluates one cell through `experiment.run_cell` under a temporary run
root: DSS on SVAMP at the `cpu` profile (SmolLM2-135M-Instruct) with `--steps` steps, validation
every half of them on `--valid` records and `--test` test records (`--quick`: the `smoke` profile's
tiny T5, 4 steps). The trainer's step, `save_best` and `save_checkpoint` are wrapped with timers
(train.loop looks them up at call time); the evaluation passes, the load and the cell's wall time
are what the cell records in metrics.json (`passes`, `load_s`, `train_wall_s`, `cell_wall_s`).
`--metrics PATH ...` reads finished cells instead: their training time then includes the
checkpoints and every in-training validation pass but the last (the trainer's clock).

`--before REF` measures a cell before and after in one run: the same cell (`--config`, `--dataset`,
`--method` at the `cpu` profile; `--full`: the profile's whole cell, else the short one above) runs
once with the code of git commit REF (a temporary worktree) and once with this checkout's, each in
a child process of its own with `--threads` torch threads, one after the other; it prints both
splits, the wall-time ratio, the evaluation share, each process's peak resident memory and how many
test predictions agree (the two trainings need not match bit for bit: what must match for one
checkpoint is the greedy decoding, tests/test_greedy.py).

    python -m benchmarks.bench_cell [--quick] [--steps 4] [--metrics runs/.../metrics.json ...]
    python -m benchmarks.bench_cell --before 2122707 --full --dataset svamp --method dss

Deliberately left out: grids (a grid's cost is its cells' sum, see distill_lib.eta).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import common

CHECKPOINT_PARTS = ("save_best", "save_checkpoint")


def timed_calls(module: Any, names: tuple[str, ...], totals: dict[str, float]) -> None:
    """Replace `module.<name>` by a wrapper adding each call's seconds to totals[name]."""
    for name in names:
        inner = getattr(module, name)

        def wrapper(*args: Any, _inner: Callable = inner, _name: str = name, **kw: Any) -> Any:
            start = time.perf_counter()
            try:
                return _inner(*args, **kw)
            finally:
                totals[_name] = totals.get(_name, 0.0) + time.perf_counter() - start

        setattr(module, name, wrapper)


def split(metrics: dict[str, Any], timers: dict[str, float] | None = None) -> dict[str, float]:
    """Seconds per part of one cell: load, training (steps only when timed), checkpoints (when
    timed), each evaluation pass, and the rest of the cell's wall time."""
    parts: dict[str, float] = {"load": float(metrics.get("load_s") or 0.0)}
    if timers:
        parts["training steps"] = timers.get("optimizer_step", 0.0)
        parts["checkpoints"] = sum(timers.get(name, 0.0) for name in CHECKPOINT_PARTS)
    else:
        parts["training (trainer's clock)"] = float(metrics.get("train_wall_s") or 0.0)
    seen: dict[str, int] = {}
    for entry in metrics.get("passes") or []:
        seen[entry["pass"]] = seen.get(entry["pass"], 0) + 1
        name = f"eval: {entry['pass']} #{seen[entry['pass']]} ({entry['examples']} examples)"
        parts[name] = float(entry["seconds"])
    if not timers:  # the trainer's clock holds every in-training pass but the last
        inside = [v for k, v in parts.items() if k.startswith("eval: valid subset")]
        parts["training (trainer's clock)"] -= sum(inside[:-1])
    parts["other"] = float(metrics.get("cell_wall_s") or 0.0) - sum(parts.values())
    return parts


def cell_overrides(args: Any) -> dict[str, Any]:
    """The cell's settings over its profile: dataset and method, and unless `--full` the short
    cell's steps and subset sizes."""
    overrides: dict[str, Any] = {"data.dataset": args.dataset, "method.name": args.method}
    if not args.full:
        overrides.update(
            {
                "data.train_limit": 16 * args.steps,
                "data.valid_limit": args.valid,
                "data.test_limit": args.test,
                "train.max_steps": args.steps,
                "train.eval_every": max(args.steps // 2, 1),
                "train.eval_subset": args.valid,
                "train.log_every": 1,
            }
        )
    return overrides


def run_short_cell(args: Any) -> tuple[dict[str, Any], dict[str, float]]:
    """Train and evaluate one short cell under a temporary run root; (metrics, timers)."""
    from distill_lib import experiment
    from distill_lib.config import load_config
    from distill_lib.train import loop

    profile = "smoke" if args.quick else "cpu"
    cfg = load_config(args.config, profile).replace(cell_overrides(args))
    timers: dict[str, float] = {}
    timed_calls(loop, ("optimizer_step", *CHECKPOINT_PARTS), timers)
    before = os.environ.get("DISTILL_RUN_ROOT")
    with tempfile.TemporaryDirectory() as root:
        os.environ["DISTILL_RUN_ROOT"] = root
        try:
            metrics = experiment.run_cell(cfg, force=True)
        finally:
            os.environ.pop("DISTILL_RUN_ROOT")
            if before is not None:
                os.environ["DISTILL_RUN_ROOT"] = before
    return metrics, timers


def torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def summary(name: str, parts: dict[str, float]) -> str:
    total = sum(parts.values())
    shares = ", ".join(f"{k} {v:.1f} s ({v / total:.0%})" for k, v in parts.items())
    return f"cell [{name}, {total:.0f} s]: {shares}"


def before_and_after(args: Any) -> list[dict[str, Any]]:
    """The cell under commit `args.before` and under this checkout, one child process each."""
    from benchmarks.cell_versions import Worktree, prediction_agreement, run_version
    from distill_lib.config import PROJECT_ROOT
    from distill_lib.data.records import resolve_data_dir

    overrides = {**cell_overrides(args), "data.data_dir": str(resolve_data_dir(args.data_dir))}
    with Worktree(args.before) as old_root:
        before = run_version(old_root, overrides, args.config, args.threads, args.teacher)
    after = run_version(PROJECT_ROOT, overrides, args.config, args.threads, args.teacher)
    cells = []
    for name, run in ((f"before ({args.before})", before), ("after (this checkout)", after)):
        metrics = run["metrics"]
        cells.append(
            {"cell": f"{name}: {metrics['cell']}", "parts": split(metrics), "version": name}
            | {"peak_rss_gb": round(metrics["process_peak_rss_gb"], 2), "cpu_s": run["cpu_s"]}
        )
    wall = [float(run["metrics"]["cell_wall_s"]) for run in (before, after)]
    cpu = [run["cpu_s"] for run in (before, after)]
    agreement = prediction_agreement(before["predictions"], after["predictions"])
    print(
        f"before/after: cell wall {wall[0]:.0f} s -> {wall[1]:.0f} s (x{wall[0] / wall[1]:.2f}), "
        f"CPU {cpu[0]:.0f} s -> {cpu[1]:.0f} s (x{cpu[0] / cpu[1]:.2f}), "
        f"peak RSS {cells[0]['peak_rss_gb']} -> {cells[1]['peak_rss_gb']} GB, "
        f"test predictions the same: {agreement}"
    )
    cells[1]["speedup"] = {"wall": wall[0] / wall[1], "cpu": cpu[0] / cpu[1]}
    cells[1]["predictions_same"] = agreement
    return cells


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=4)
    p.add_argument("--valid", type=int, default=None)
    p.add_argument("--test", type=int, default=None)
    p.add_argument("--metrics", nargs="*", default=None, help="finished cells' metrics.json")
    p.add_argument("--config", default="configs/dss.yaml")
    p.add_argument("--dataset", default="svamp")
    p.add_argument("--method", default="dss")
    p.add_argument("--full", action="store_true", help="the profile's whole cell")
    p.add_argument("--before", default=None, help="git commit: run the cell under it too")
    p.add_argument("--threads", type=int, default=torch_threads())
    p.add_argument("--teacher", action="store_true", help="run the teacher stage first (math)")
    args = p.parse_args(argv)
    args.valid = args.valid or (8 if args.quick else 16)
    args.test = args.test or (8 if args.quick else 32)
    cells = []
    if args.before:
        cells = before_and_after(args)
    elif args.metrics:
        for path in args.metrics:
            metrics = json.loads(Path(path).read_text())
            metrics = metrics.get("metrics", metrics)  # a result record holds its metrics
            cells.append({"cell": path, "parts": split(metrics)})
    else:
        metrics, timers = run_short_cell(args)
        cells.append(
            {"cell": metrics["cell"], "parts": split(metrics, timers), "timers": timers}
            | {"peak_rss_gb": metrics.get("peak_rss_gb"), "passes": metrics.get("passes")}
        )
    record = {"benchmark": "cell", "machine": common.machine(common.resolve_device("cpu"))}
    record.update(args=vars(args), cells=cells)
    path = common.write_record("cell", record, args.out)
    for cell in cells:
        print(f"{summary(cell['cell'], cell['parts'])} -> {path}")
    return record


if __name__ == "__main__":
    main()
