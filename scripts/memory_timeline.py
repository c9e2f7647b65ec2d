"""A whole `cpu`-profile cell with its resident memory logged around each phase: every forward,
backward, gradient clip and AdamW step, each optimizer step as a whole, and each evaluation pass
(RSS before, sampled peak, RSS after; a thread samples /proc/self/statm every 3 ms), plus each heap
trim with what it returned. The evidence behind the heap rule in distill_lib.train.heap.

    python scripts/memory_timeline.py OUT.json [--config configs/dss.yaml] [--dataset svamp]
        [--method dss] [--set train.heap_trim_above_gb=64 ...] [--teacher]

One torch thread; pin it (`taskset -c 1`) on a shared machine. The cell runs in a temporary run
root (nothing is kept but OUT.json); `--teacher` runs the paper's teacher stage there first (math:
the released thoughts, verified). Deliberately left out: time per phase (the benchmarks measure
time; the wall seconds printed are for orientation only).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

import torch
from accelerate import Accelerator
from accelerate.optimizer import AcceleratedOptimizer

from distill_lib import experiment
from distill_lib.config import load_config
from distill_lib.papers.index import run_teacher_for
from distill_lib.train import heap, loop
from distill_lib.train.heap import resident_gb


class Timeline:
    """Phases with RSS before / peak / after, and a sampler thread keeping the running peak."""

    def __init__(self) -> None:
        self.peak, self.step, self.rows, self.trims = 0.0, 0, [], []
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, resident_gb())
            time.sleep(0.003)

    def wrap(self, owner: Any, name: str, label: str, shape: Callable | None = None) -> None:
        inner = getattr(owner, name)

        def logged(*args: Any, **kwargs: Any) -> Any:
            before, outer = resident_gb(), self.peak
            self.peak = before
            try:
                return inner(*args, **kwargs)
            finally:
                row = {"step": self.step, "what": label, "before": round(before, 3)}
                row |= {"peak": round(self.peak, 3), "after": round(resident_gb(), 3)}
                self.rows.append(row | (shape(args) if shape else {}))
                self.peak = max(outer, self.peak)

        setattr(owner, name, logged)


def instrument(timeline: Timeline) -> None:
    trim = heap.trim_heap

    def counted_trim() -> None:
        before = resident_gb()
        trim()
        timeline.trims.append([timeline.step, round(before, 3), round(resident_gb(), 3)])

    heap.trim_heap = loop.trim_heap = counted_trim
    shape = lambda a: {"shape": list(a[1]["input_ids"].shape)}  # noqa: E731
    timeline.wrap(loop, "forward_loss", "forward", shape)
    timeline.wrap(Accelerator, "backward", "backward")
    timeline.wrap(Accelerator, "clip_grad_norm_", "clip")
    timeline.wrap(AcceleratedOptimizer, "step", "adamw")
    step = loop.optimizer_step

    def numbered(run: Any, state: Any) -> float:
        timeline.step = state.step + 1
        return step(run, state)

    loop.optimizer_step = numbered
    timeline.wrap(loop, "optimizer_step", "whole step")
    timeline.wrap(experiment, "evaluate_records", "evaluate")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out")
    p.add_argument("--config", default="configs/dss.yaml")
    p.add_argument("--profile", default="cpu")
    p.add_argument("--dataset", default="svamp")
    p.add_argument("--method", default="dss")
    p.add_argument("--set", nargs="*", default=[], help="dotted overrides, KEY=VALUE (YAML values)")
    p.add_argument("--teacher", action="store_true", help="run the teacher stage first (math)")
    args = p.parse_args()
    import yaml

    overrides = {"data.dataset": args.dataset, "method.name": args.method}
    overrides |= {k: yaml.safe_load(v) for k, v in (item.split("=", 1) for item in args.set)}
    torch.set_num_threads(1)
    timeline = Timeline()
    instrument(timeline)
    cfg = load_config(args.config, args.profile).replace(overrides)
    started = time.time()
    with tempfile.TemporaryDirectory() as root:
        os.environ["DISTILL_RUN_ROOT"] = os.environ["DISTILL_RESULTS_ROOT"] = root
        if args.teacher:
            run_teacher_for(args.config, args.profile, overrides)
        metrics = experiment.run_cell(cfg, force=True)
    summary = {"overrides": overrides, "wall_s": round(time.time() - started, 1)}
    summary |= {"cell_peak_rss_gb": metrics.get("peak_rss_gb"), "trims": len(timeline.trims)}
    summary |= {"sampled_max_gb": max(row["peak"] for row in timeline.rows)}
    with open(args.out, "w") as f:
        json.dump(summary | {"phases": timeline.rows, "heap_trims": timeline.trims}, f)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
