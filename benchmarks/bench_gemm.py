"""This machine's matmul throughput on the student's own shapes: the peak a training step's MFU is
measured against.

The shapes are SmolLM2-135M's (benchmarks.common.SMOLLM2_135M): the q/o, k/v, gate/up and down
projections and the 49,152-id output head, each as a training step runs it (forward x @ W^T,
input gradient dY @ W, weight gradient dY^T @ x) with `--tokens` rows (positions in one
micro-batch). Each is timed in fp32, and in bf16 where the CPU computes bf16 natively (or on a
GPU); figures are the best of `--reps` CPU-time (GPU: wall-time) repetitions, at `--threads`
threads. `peak_flops[dtype]` is the best shape's rate: the ceiling for a step made of these
matmuls.

    python -m benchmarks.bench_gemm [--quick] [--tokens 1024] [--threads N] [--device cpu|cuda]

Deliberately left out: attention's batched matmuls (their shapes depend on sequence length) and
other libraries' kernels; this is torch's own `@`, as the model calls it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import torch

from benchmarks import common
from distill_lib.models.precision import cpu_has_amx, cpu_has_native_bf16

SHAPES = {  # name: (in features, out features)
    "q/o proj": (576, 576),
    "k/v proj": (576, 192),
    "gate/up proj": (576, 1536),
    "down proj": (1536, 576),
    "lm_head": (576, 49152),
}
LAYOUTS = ("forward", "input grad", "weight grad")


def operands(
    layout: str, tokens: int, k: int, n: int, dtype: torch.dtype, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """The two operands of one matmul of a linear layer (k -> n) over `tokens` rows, laid out as
    autograd passes them."""

    def rand(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, device=device).to(dtype)

    if layout == "forward":
        return rand(tokens, k), rand(n, k).t()
    if layout == "input grad":
        return rand(tokens, n), rand(n, k)
    return rand(tokens, n).t(), rand(tokens, k)


def best_seconds(fn: Callable[[], Any], reps: int, device: torch.device) -> float:
    """Fastest of `reps` timed calls after one warm-up; CPU time on a CPU (robust to a shared
    machine), wall time on a GPU."""
    clock = time.perf_counter if device.type == "cuda" else time.process_time
    fn()
    best = float("inf")
    for _ in range(reps):
        common.sync(device)
        start = clock()
        fn()
        common.sync(device)
        best = min(best, clock() - start)
    return best


def dtypes(device: torch.device) -> list[str]:
    """fp32, and bf16 where it is native (GPU, or a CPU with AVX512-BF16 / AMX)."""
    native = device.type == "cuda" or cpu_has_native_bf16()
    return ["fp32", "bf16"] if native else ["fp32"]


def measure(
    tokens: int, reps: int, device: torch.device, names: list[str] | None = None
) -> dict[str, Any]:
    """GFLOP/s per dtype, shape and layout, and each dtype's peak (its best shape and layout)."""
    table: dict[str, dict[str, dict[str, float]]] = {}
    for name in dtypes(device):
        dtype = torch.bfloat16 if name == "bf16" else torch.float32
        table[name] = {}
        for shape in names or list(SHAPES):
            k, n = SHAPES[shape]
            table[name][shape] = {}
            for layout in LAYOUTS:
                a, b = operands(layout, tokens, k, n, dtype, device)
                seconds = best_seconds(lambda a=a, b=b: a @ b, reps, device)
                table[name][shape][layout] = 2 * tokens * k * n / seconds / 1e9
    peak = {
        name: max(v for shape in rows.values() for v in shape.values()) * 1e9
        for name, rows in table.items()
    }
    return {"gflops": table, "peak_flops": peak}


def summary(record: dict[str, Any]) -> str:
    peak = record["peak_flops"]
    rates = ", ".join(f"{name} {flops / 1e9:.0f} GFLOP/s" for name, flops in peak.items())
    ratio = f" (bf16 x{peak['bf16'] / peak['fp32']:.2f})" if "bf16" in peak else ""
    return (
        f"gemm [{record['machine']['cpu']}, {record['threads']} thread(s), AMX "
        f"{record['cpu_amx']}]: peak on the student's shapes at {record['tokens']} rows: "
        f"{rates}{ratio}"
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--tokens", type=int, default=None, help="rows per matmul (default 1024)")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    p.add_argument("--reps", type=int, default=None)
    args = p.parse_args(argv)
    device = common.resolve_device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    tokens = args.tokens or (128 if args.quick else 1024)
    reps = args.reps or (1 if args.quick else 3)
    names = ["gate/up proj"] if args.quick else None
    record = {
        "benchmark": "gemm",
        "machine": common.machine(device),
        "threads": torch.get_num_threads(),
        "cpu_native_bf16": cpu_has_native_bf16(),
        "cpu_amx": cpu_has_amx(),
        "tokens": tokens,
        "shapes": {k: SHAPES[k] for k in names or SHAPES},
        **measure(tokens, reps, device, names),
    }
    path = common.write_record("gemm", record, args.out)
    print(f"{summary(record)} -> {path}")
    return record


if __name__ == "__main__":
    main()
