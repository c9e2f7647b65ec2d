"""What one training-step setting costs: one process steps the same global batch (the largest of
the cell's first 24) again and again, cycling per step through the variants of one setting, and
prints each variant's CPU seconds per step (user + system), the peak RSS of its steps, and their
minor page faults and system seconds (getrusage: what the kernel spends faulting pages in).

    python scripts/step_ab.py [--vary trim | heap | tokens --tokens 1024 2048 | attention]
        [--steps 18] [--block 1] [--config configs/dss.yaml] [--dataset svamp] [--method dss]
        [--teacher]

`--vary trim` (default): the heap trimmed after every micro-batch's backward
(`train.heap_trim_above_gb: 0`) against after the optimizer step only (a limit no process reaches).
`--vary heap`: no trim at all (the heap kept between steps, as before the trims existed) against
the trim after each optimizer step only and the trim after every micro-batch as well, and no trim
with a micro-batch's rows in one forward (`micro_batch_tokens: 0`, the layout before the cap), and
for each of `--limits` the trim after a micro-batch only above that RSS
(`train.heap_trim_above_gb`); run it with `--block` above 1, since a step's cost depends on the
heap the step before it left.
`--vary tokens`: the padded positions of one forward (`train.micro_batch_tokens`), each of
`--tokens`, every variant trimming after the optimizer step only. Each step starts from a trimmed
heap, so a step's peak RSS is its own. `--teacher` runs the paper's teacher stage first, in the same
temporary run root (math: the released thoughts, verified).

`--block N` runs each variant N steps in a row before the next (default 1: variants alternate every
step); the first step of each block is left out of the means (it starts from the heap the previous
variant left), as is the first step of the run (it creates AdamW's state). One torch thread; pin it
(`taskset -c 1`). Deliberately left out: whole cells (benchmarks.bench_cell) and
the memory of a whole cell (scripts/memory_timeline.py).
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import statistics
import tempfile
from typing import Any, NamedTuple

import torch

from distill_lib import experiment
from distill_lib.config import load_config
from distill_lib.models.precision import register_fp32_attention
from distill_lib.papers.index import run_teacher_for
from distill_lib.train import loop
from distill_lib.train.heap import PeakRss


class Faults(NamedTuple):
    """A step's minor page faults and the system (kernel) CPU seconds they mostly are."""

    minor: int
    system_s: float


NEVER = 1e9  # GB: a limit no process reaches, so only the per-step trim runs
NO_TRIM = -1.0  # heap_trim_above_gb of the variant that trims neither per micro-batch nor per step


def variants(args: Any) -> list[tuple[str, float, int | None, str | None]]:
    """(name, heap_trim_above_gb (NO_TRIM: no per-step trim either), micro_batch_tokens or None for
    the config's, attention implementation or None for the student's) per variant."""
    if args.vary == "trim":
        return [("trim every micro-batch", 0.0, None, None), ("trim per step", NEVER, None, None)]
    if args.vary == "heap":
        return [
            ("no trim", NO_TRIM, None, None),
            ("trim per step", NEVER, None, None),
            ("trim every micro-batch", 0.0, None, None),
            ("no trim, each micro-batch in one forward", NO_TRIM, 0, None),
            *((f"trim a micro-batch above {gb:g} GB", gb, None, None) for gb in args.limits),
        ]
    if args.vary == "attention":
        fp32 = register_fp32_attention()
        return [(f"attention {a}", NEVER, None, a) for a in ("sdpa", fp32, "eager")]
    return [(f"{n} positions a forward", NEVER, n, None) for n in args.tokens]


def fixed_batch_steps(
    times: list[tuple[str, float, float, bool]], cycle: list[Any], block: int
) -> None:
    """Make loop.optimizer_step repeat one batch and cycle through the variants, `block` steps
    each, timing each step (and whether it opens its block); the trainer's per-step trim follows
    the variant."""
    step, rss, trim_step = loop.optimizer_step, PeakRss(), loop.trim_heap
    current: list[float] = [0.0]
    loop.trim_heap = lambda: None if current[0] == NO_TRIM else trim_step()

    def timed(run: Any, state: Any) -> float:
        if not getattr(run, "fixed", False):
            batches = [next(run.stream) for _ in range(24)]
            size = lambda rs: sum(len(f["input_ids"]) for i in rs for f in run.features[i])  # noqa: E731
            run.stream, run.fixed = itertools.repeat(max(batches, key=size)), True
        name, trim_above, tokens, attention = cycle[state.step // block % len(cycle)]
        current[0] = trim_above
        run.heap_trim_above_gb = NEVER if trim_above == NO_TRIM else trim_above
        run.max_positions = tokens if tokens is not None else run.max_positions
        if attention is not None:
            run.acc.unwrap_model(run.model).set_attn_implementation(attention)
        rss.reset()
        before = resource.getrusage(resource.RUSAGE_SELF)
        loss = step(run, state)
        after = resource.getrusage(resource.RUSAGE_SELF)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        faults = Faults(after.ru_minflt - before.ru_minflt, after.ru_stime - before.ru_stime)
        times.append((name, cpu, rss.peak, state.step % block == 0, faults))
        return loss

    loop.optimizer_step = timed


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--vary", choices=["trim", "heap", "tokens", "attention"], default="trim")
    p.add_argument("--tokens", type=int, nargs="+", default=[1024, 2048])
    p.add_argument("--limits", type=float, nargs="*", default=[], help="GB (--vary heap)")
    p.add_argument("--steps", type=int, default=18)
    p.add_argument("--block", type=int, default=1, help="steps in a row per variant")
    p.add_argument("--config", default="configs/dss.yaml")
    p.add_argument("--dataset", default="svamp")
    p.add_argument("--method", default="dss")
    p.add_argument("--teacher", action="store_true", help="run the teacher stage first (math)")
    args = p.parse_args()
    torch.set_num_threads(1)
    cycle, times = variants(args), []
    fixed_batch_steps(times, cycle, args.block)
    overrides = {"data.dataset": args.dataset, "method.name": args.method}
    overrides |= {"train.max_steps": args.steps, "train.eval_every": 10**6}
    overrides |= {"data.test_limit": 4, "data.valid_limit": 4}
    cfg = load_config(args.config, "cpu").replace(overrides)
    with tempfile.TemporaryDirectory() as root:
        os.environ["DISTILL_RUN_ROOT"] = os.environ["DISTILL_RESULTS_ROOT"] = root
        if args.teacher:
            run_teacher_for(args.config, "cpu", overrides)
        experiment.run_cell(cfg, force=True)
    for name, *_ in cycle:
        rows = [
            (c, pk, f)
            for v, c, pk, opens, f in times[1:]
            if v == name and not (opens and args.block > 1)
        ]
        cpu = [c for c, _, _ in rows]
        print(
            f"{name}: {statistics.mean(cpu):.2f} CPU s/step over {len(cpu)} steps "
            f"(min {min(cpu):.2f}, max {max(cpu):.2f}); peak RSS of a step "
            f"{max(pk for _, pk, _ in rows):.2f} GB; page faults "
            f"{statistics.mean(f.minor for *_, f in rows) / 1e6:.2f} M/step, system time "
            f"{statistics.mean(f.system_s for *_, f in rows):.2f} s/step"
        )


if __name__ == "__main__":
    main()
