"""One training step of the real student on CPU, in the variants that decide its speed: fp32 or
bf16 autocast, attention precision, micro-batch plan, threads; with an op-group profile and MFU.

The step is `train.loop.optimizer_step`'s work for one process, written out so the micro-batch plan
can vary: `forward_loss` under autocast (as accelerate's), backward per micro-batch, grad-norm clip,
the trainer's fused AdamW (`train.loop.build_optimizer`). The student is SmolLM2-135M-Instruct
(`--quick`: the tiny causal model); the batch is DSS on SVAMP at the `cpu` profile's widths: of the
48 length-grouped global batches of 16 records (32 rows) the cell draws, the one whose padded size
is nearest their mean. Each variant runs in a child process of its own (clean peak RSS, fresh
weights; `--quick`: all in this process); figures are medians over `--reps` steps after one
warm-up step.

Variants are comma-separated settings: `fp32` | `bf16`; `attn=sdpa|fp32|eager` (fp32: SDPA in
fp32 inside the bf16 step, models.precision.training_attention); `micro=trainer:K` (the trainer's
plan: K records per micro-batch, their rows in length groups), `micro=records:K` (K records per
forward) or `micro=tokens:N` (the rows sorted by length, cut so each forward holds at most N padded
positions); `threads=T`; `compile`.

Times are CPU seconds of the process (`time.process_time`: what a shared machine does not inflate)
and wall seconds. MFU = model FLOPs per CPU-second / the GEMM peak per CPU-second on the student's
shapes at the same thread count (benchmarks.bench_gemm), for two FLOP counts: `6NT` = 6 x all
parameters x real tokens, and `executed` = 6 x (N_body x padded positions + N_head x target tokens),
the work the step does (its head runs on target positions only). Peak RSS is the child's.

    python -m benchmarks.bench_step [--quick] [--variants fp32 bf16 ...] [--reps 2] [--profile]

Deliberately left out: data loading and evaluation (see bench_cell), GPUs (bench_train).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from typing import Any

import torch

from benchmarks import bench_gemm, common
from benchmarks.op_groups import profile_groups
from benchmarks.step_batch import chunks, load_inputs, param_split, parse_variant
from distill_lib.config_sections import TrainConfig
from distill_lib.models.precision import autocast, training_attention
from distill_lib.train.loop import build_optimizer, forward_loss

FULL = ["fp32", "bf16", "bf16,attn=fp32", "bf16,attn=fp32,micro=tokens:1024"]
QUICK = ["fp32", "bf16,attn=fp32,micro=tokens:256"]


def one_step(
    model: Any,
    optimizer: Any,
    plan: list[dict],
    weights: list[float],
    counts: list[int],
    precision: str,
) -> dict[str, float]:
    """One optimizer step over the micro-batches of `plan`; CPU seconds of each phase."""
    phases = {"forward": 0.0, "backward": 0.0}
    loss_sum = 0.0
    for batch in plan:
        start = time.process_time()
        with autocast(precision, "cpu"):
            loss = forward_loss(model, batch, False, weights, model, counts)
        middle = time.process_time()
        loss.backward()
        phases["forward"] += middle - start
        phases["backward"] += time.process_time() - middle
        loss_sum += float(loss.detach())
    start = time.process_time()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    phases["optimizer"] = time.process_time() - start
    return {**phases, "loss": loss_sum}


def child(spec: str, quick: bool, reps: int, profile: bool) -> dict[str, Any]:
    """Run one variant in this process; its figures."""
    variant = parse_variant(spec)
    torch.set_num_threads(variant["threads"])
    student, rows, weights, counts = load_inputs(quick)
    model = student.model.train()
    model.set_attn_implementation("eager" if variant["attn"] == "eager" else "sdpa")
    plan = chunks(rows, student.tokenizer.pad_token_id, variant["micro"])
    optimizer = build_optimizer(model, TrainConfig(lr=1e-5))
    forward = torch.compile(model) if variant["compile"] else model
    attention = variant["precision"] if variant["attn"] != "fp32" else "bf16"
    runs = []
    with training_attention(model, attention, "cpu") as used:
        for _ in range(1 + reps):
            wall = time.perf_counter()
            phases = one_step(forward, optimizer, plan, weights, counts, variant["precision"])
            phases["cpu_s"] = phases["forward"] + phases["backward"] + phases["optimizer"]
            runs.append({**phases, "wall_s": time.perf_counter() - wall})
        groups = (
            profile_groups(
                lambda: one_step(forward, optimizer, plan, weights, counts, variant["precision"]),
                model.config.vocab_size,
            )
            if profile
            else {}
        )
    return {
        "variant": spec,
        "settings": variant,
        "attention": used,
        "micro_batches": [list(b["input_ids"].shape) for b in plan],
        "tokens": sum(int(b["attention_mask"].sum()) for b in plan),
        "positions": sum(b["input_ids"].numel() for b in plan),
        "targets": sum(counts),
        "params": param_split(model),
        **_timings(runs),
        "profile_shares": groups,
    }


def _timings(runs: list[dict[str, float]]) -> dict[str, Any]:
    """Medians of the timed steps (all but the first), the first step's loss, the peak RSS."""
    timed = runs[1:]
    return {
        "step_cpu_s": common.median([r["cpu_s"] for r in timed]),
        "step_wall_s": common.median([r["wall_s"] for r in timed]),
        "phases_cpu_s": {
            k: common.median([r[k] for r in timed]) for k in ("forward", "backward", "optimizer")
        },
        "first_loss": runs[0]["loss"],
        "runs": runs,
        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
    }


def mfu(result: dict[str, Any], peaks: dict[int, dict[str, float]]) -> dict[str, float]:
    """Model FLOPs per CPU-second of the step over the GEMM peak per CPU-second (its dtype, its
    threads)."""
    total, body, head = result["params"]["all"], result["params"]["body"], result["params"]["head"]
    flops = {
        "6NT": 6 * total * result["tokens"],
        "executed": 6 * (body * result["positions"] + head * result["targets"]),
    }
    peak = peaks[result["settings"]["threads"]]
    dtype = "bf16" if result["settings"]["precision"] == "bf16" and "bf16" in peak else "fp32"
    rate = {name: f / result["step_cpu_s"] for name, f in flops.items()}
    return {
        **{f"mfu_{k}": v / peak[dtype] for k, v in rate.items()},
        "peak_dtype": dtype,
        "flops": flops,
    }


def run_child(spec: str, args: Any) -> dict[str, Any]:
    """One variant in a fresh interpreter (inherits this process's CPU affinity)."""
    cmd = [sys.executable, "-m", "benchmarks.bench_step", "--child", spec, "--reps", str(args.reps)]
    cmd += ["--quick"] * args.quick + ["--profile"] * args.profile
    done = subprocess.run(cmd, cwd=common.PROJECT_ROOT, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        raise SystemExit(f"variant {spec!r} failed: {done.stderr[-1500:]}")
    return json.loads(lines[-1])


def summary(results: list[dict[str, Any]], peaks: dict[int, dict[str, float]]) -> str:
    base = results[0]["step_cpu_s"]
    gemm = "; ".join(
        f"{threads} thread(s): " + ", ".join(f"{k} {v / 1e9:.0f}" for k, v in peak.items())
        for threads, peak in peaks.items()
    )
    parts = [
        f"{r['variant']} {r['step_cpu_s']:.3g} s (x{base / r['step_cpu_s']:.2f}, MFU "
        f"{r['mfu_6NT']:.0%} 6NT / {r['mfu_executed']:.0%} executed, peak RSS "
        f"{r['peak_rss_gb']:.1f} GB)"
        for r in results
    ]
    return (
        f"step [{results[0]['tokens']} tokens; GEMM peak GFLOP/s per CPU-s, {gemm}] CPU s/step: "
        + "; ".join(parts)
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--variants", nargs="*", default=None)
    p.add_argument("--reps", type=int, default=None)
    p.add_argument("--profile", action="store_true", help="an op-group profile per variant")
    p.add_argument("--child", default=None, help=argparse_hidden())
    args = p.parse_args(argv)
    args.reps = args.reps or (1 if args.quick else 2)
    if args.child:
        print(json.dumps(child(args.child, args.quick, args.reps, args.profile)))
        return {}
    specs = args.variants or (QUICK if args.quick else FULL)
    # --quick: in this process (seconds each; the peak RSS is then the whole run's)
    results = [
        child(spec, True, args.reps, args.profile) if args.quick else run_child(spec, args)
        for spec in specs
    ]
    tokens = 256 if args.quick else 1024
    peaks = {}
    for threads in sorted({r["settings"]["threads"] for r in results}):
        torch.set_num_threads(threads)
        shapes = ["gate/up proj"] if args.quick else ["q/o proj", "gate/up proj", "down proj"]
        peaks[threads] = bench_gemm.measure(
            tokens, 1 if args.quick else 3, torch.device("cpu"), shapes
        )["peak_flops"]
    for r in results:
        r.update(mfu(r, peaks))
    record = {
        "benchmark": "step",
        "machine": common.machine(torch.device("cpu")),
        "gemm_peak_flops_per_cpu_s": peaks,
        "results": results,
    }
    path = common.write_record("step", record, args.out)
    print(f"{summary(results, peaks)} -> {path}")
    return record


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    main()
