"""Where a training cell's resident memory goes: RSS after and peak RSS during each phase of a
`cpu`-profile DSS SVAMP cell, with the micro-batch plan and the allocator settings as variables.

Phases, in one process as a cell runs them: imports; loading the student (SmolLM2-135M-Instruct;
`--quick`: the tiny causal model); creating the trainer's AdamW; `--steps` training steps on the
cell's largest global batch (bf16 autocast with the attention rule of models.precision, or fp32 on a
CPU without native bf16); batched generation of `--new-tokens` tokens for the first `--prompts`
SVAMP test prompts (batch 64, the evaluation's own `generate_texts`); then glibc's `malloc_trim(0)`.
Beside RSS, what torch holds at the end of the steps: parameters, gradients, AdamW state.

Each variant is a child process: `--plans` (benchmarks.step_batch.chunks: `trainer:K`, the
trainer's plan, `records:K` or `tokens:N`) times `--allocators` (`glibc`; `arena2`:
MALLOC_ARENA_MAX=2; `mmap64k`: MALLOC_MMAP_THRESHOLD_=65536, so every tensor over 64 KiB is
mapped on allocation and unmapped when freed; `trim`: malloc_trim(0) after every step). RSS is
sampled every 5 ms by a thread.

    python -m benchmarks.bench_memory [--quick] [--plans trainer:16 tokens:1024] [--allocators ...]

Deliberately left out: time (bench_step), other allocators than glibc's (none ships with the
project).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from typing import Any

from benchmarks import common
from distill_lib.train.heap import PeakRss, trim_heap
from distill_lib.train.heap import resident_gb as rss_gb

ALLOCATORS = {
    "glibc": {},
    "arena2": {"MALLOC_ARENA_MAX": "2"},
    "mmap64k": {"MALLOC_MMAP_THRESHOLD_": "65536"},
    "trim": {},
}


class Sampler(PeakRss):
    """Peak RSS since the last `phase()` call (train.heap.PeakRss), and the phases so far."""

    def __init__(self) -> None:
        super().__init__()
        self.phases: list[dict[str, Any]] = []

    def phase(self, name: str, **extra: Any) -> None:
        now = rss_gb()
        self.phases.append({"phase": name, "rss_gb": now, "peak_gb": max(self.peak, now), **extra})
        print(f"  {name}: RSS {now:.2f} GB, peak {max(self.peak, now):.2f} GB", file=sys.stderr)
        self.peak = now


def torch_held_gb(model: Any, optimizer: Any) -> dict[str, float]:
    """GB torch holds for parameters, gradients (during a step) and optimizer state."""
    params = list(model.parameters())
    state = [t for s in optimizer.state.values() for t in s.values() if hasattr(t, "nbytes")]
    sizes = {
        "parameters": sum(p.nbytes for p in params),
        # fp32, from the first backward to the optimizer step (then set to None)
        "gradients": sum(p.nbytes for p in params if p.requires_grad),
        "adamw_state": sum(t.nbytes for t in state),
    }
    return {k: v / 2**30 for k, v in sizes.items()}


def generate(student: Any, args: Any, precision: str) -> None:
    """The evaluation's batched generation for the first `args.prompts` SVAMP test prompts."""
    from distill_lib.config_sections import EvalConfig, MethodConfig
    from distill_lib.evaluate.generate import generate_texts
    from distill_lib.papers.dss.data import load_dss
    from distill_lib.papers.index import build_method

    method = build_method(MethodConfig(name="dss"))
    prompts = [method.prompt(r, "rationale") for r in list(load_dss("svamp")["test"])]
    settings = replace(EvalConfig(batch_size=64), max_new_tokens=args.new_tokens)
    generate_texts(student, prompts[: args.prompts], settings, 128, precision, progress=False)


def child(plan_name: str, allocator: str, args: Any) -> dict[str, Any]:
    sampler = Sampler()
    import torch

    from benchmarks.bench_step import one_step
    from benchmarks.step_batch import chunks, load_inputs
    from distill_lib.config_sections import TrainConfig
    from distill_lib.models.precision import resolve_precision, training_attention
    from distill_lib.train.loop import build_optimizer

    torch.set_num_threads(1)
    sampler.phase("imports")
    student, rows, weights, counts = load_inputs(args.quick, largest=True)
    model = student.model.train()
    sampler.phase("load student")
    optimizer = build_optimizer(model, TrainConfig(lr=1e-5))
    sampler.phase("create AdamW")
    plan = chunks(rows, student.tokenizer.pad_token_id, plan_name)
    precision = resolve_precision("auto", "cpu")
    with training_attention(model, precision, "cpu"):
        for step in range(args.steps):
            one_step(model, optimizer, plan, weights, counts, precision)
            if allocator == "trim":
                trim_heap()
            sampler.phase(f"training step {step + 1}")
    held = torch_held_gb(model, optimizer)
    generate(student, args, precision)
    sampler.phase("generation (batch 64)")
    trim_heap()
    sampler.phase("malloc_trim(0)")
    return {
        "plan": plan_name,
        "allocator": allocator,
        "micro_batches": [list(b["input_ids"].shape) for b in plan],
        "precision": precision,
        "torch_held_gb": held,
        "phases": sampler.phases,
        "peak_gb": max(p["peak_gb"] for p in sampler.phases),
    }


def run_child(plan: str, allocator: str, args: Any) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "benchmarks.bench_memory", "--child", f"{plan}@{allocator}"]
    cmd += ["--steps", str(args.steps), "--prompts", str(args.prompts)]
    cmd += ["--new-tokens", str(args.new_tokens)] + ["--quick"] * args.quick
    env = {**os.environ, **ALLOCATORS[allocator]}
    done = subprocess.run(cmd, cwd=common.PROJECT_ROOT, capture_output=True, text=True, env=env)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        raise SystemExit(f"{plan}@{allocator} failed: {done.stderr[-1500:]}")
    return json.loads(lines[-1])


def summary(results: list[dict[str, Any]]) -> str:
    parts = []
    for r in results:
        by = {p["phase"]: p for p in r["phases"]}
        train_peak = max(p["peak_gb"] for p in r["phases"] if p["phase"].startswith("training"))
        parts.append(
            f"{r['plan']}@{r['allocator']}: peak {r['peak_gb']:.2f} GB (training {train_peak:.2f}"
            f", generation {by['generation (batch 64)']['peak_gb']:.2f}), after trim "
            f"{by['malloc_trim(0)']['rss_gb']:.2f}"
        )
    return "memory [RSS]: " + "; ".join(parts)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--plans", nargs="*", default=None)
    p.add_argument("--allocators", nargs="*", choices=list(ALLOCATORS), default=None)
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--prompts", type=int, default=None)
    p.add_argument("--new-tokens", type=int, default=None)
    p.add_argument("--child", default=None, help="plan@allocator (internal)")
    args = p.parse_args(argv)
    args.steps = args.steps or (1 if args.quick else 2)
    args.prompts = args.prompts or (8 if args.quick else 64)
    args.new_tokens = args.new_tokens or (8 if args.quick else 128)
    if args.child:
        plan, allocator = args.child.split("@")
        print(json.dumps(child(plan, allocator, args)))
        return {}
    plans = args.plans or (["tokens:256"] if args.quick else ["trainer:16", "tokens:1024"])
    allocators = args.allocators or (["glibc"] if args.quick else list(ALLOCATORS))
    results = [run_child(plan, alloc, args) for plan in plans for alloc in allocators]
    record = {"benchmark": "memory", "machine": common.machine(common.resolve_device("cpu"))}
    record.update(args=vars(args), results=results)
    path = common.write_record("memory", record, args.out)
    print(f"{summary(results)} -> {path}")
    return record


if __name__ == "__main__":
    main()
