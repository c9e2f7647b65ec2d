"""What trimming the heap after every micro-batch costs: one process steps the same global batch
(the largest of the cell's first 24) again and again, alternating per step between trimming after
every micro-batch's backward (`train.heap_trim_above_gb: 0`) and after the optimizer step only (a
limit no process reaches), and prints each variant's CPU seconds per step.

    python scripts/trim_ab.py [--steps 18] [--config configs/dss.yaml] [--dataset svamp]
        [--method dss]

One torch thread; pin it (`taskset -c 1`). The first two steps are left out of the means (the first
creates AdamW's state). Deliberately left out: memory (scripts/memory_timeline.py).
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import tempfile
import time
from typing import Any

import torch

from distill_lib import experiment
from distill_lib.config import load_config
from distill_lib.train import loop

NEVER = 1e9  # GB: a limit no process reaches, so only the per-step trim runs


def fixed_batch_steps(times: list[tuple[str, float]]) -> None:
    """Make loop.optimizer_step repeat one batch and alternate the trim rule, timing each step."""
    step = loop.optimizer_step

    def timed(run: Any, state: Any) -> float:
        if not getattr(run, "fixed", False):
            batches = [next(run.stream) for _ in range(24)]
            size = lambda rs: sum(len(f["input_ids"]) for i in rs for f in run.features[i])  # noqa: E731
            run.stream, run.fixed = itertools.repeat(max(batches, key=size)), True
        every = state.step % 2 == 1
        run.heap_trim_above_gb = 0.0 if every else NEVER
        started = time.process_time()
        loss = step(run, state)
        times.append(
            ("every micro-batch" if every else "per step only", time.process_time() - started)
        )
        return loss

    loop.optimizer_step = timed


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=18)
    p.add_argument("--config", default="configs/dss.yaml")
    p.add_argument("--dataset", default="svamp")
    p.add_argument("--method", default="dss")
    args = p.parse_args()
    torch.set_num_threads(1)
    times: list[tuple[str, float]] = []
    fixed_batch_steps(times)
    overrides = {"data.dataset": args.dataset, "method.name": args.method}
    overrides |= {"train.max_steps": args.steps, "train.eval_every": 10**6}
    overrides |= {"data.test_limit": 4, "data.valid_limit": 4}
    cfg = load_config(args.config, "cpu").replace(overrides)
    with tempfile.TemporaryDirectory() as root:
        os.environ["DISTILL_RUN_ROOT"] = os.environ["DISTILL_RESULTS_ROOT"] = root
        experiment.run_cell(cfg, force=True)
    for variant in ("every micro-batch", "per step only"):
        cpu = [s for v, s in times[2:] if v == variant]
        print(
            f"{variant}: {statistics.mean(cpu):.2f} CPU s/step over {len(cpu)} steps "
            f"(min {min(cpu):.2f}, max {max(cpu):.2f})"
        )


if __name__ == "__main__":
    main()
