"""The kinds of CPU a bf16 training step can run on, and how fast a step runs per thread on each:
AMX tiles, AVX512-BF16 without AMX, or fp32 only (no native bf16). Read from a result record's
`machine` fields (models.precision.machine_info), for the ETA (distill_lib.eta) and the grid-cost
table (distill_lib.plots.costs).

Deliberately left out: probing this machine (models.precision does) and telling CPU vendors or
generations apart beyond those features.
"""

from __future__ import annotations

from typing import Any

# A DSS training step's throughput per torch thread, relative to a CPU with AMX, by how the CPU
# runs the step: the same 16-record e-SNLI step timed on an AMX Xeon (bf16) and on an AMD EPYC
# with AVX512-BF16 and no AMX (bf16, and fp32 for a CPU without native bf16); docs/performance.md
THREAD_RATE = {"amx": 1.0, "avx512_bf16": 0.96, "fp32": 0.5}
CPU_KINDS = {"amx": "AMX", "avx512_bf16": "AVX512-BF16 without AMX", "fp32": "no native bf16"}


def cpu_kind(machine: dict[str, Any]) -> str | None:
    """'amx', 'avx512_bf16' or 'fp32': how a CPU runs a bf16 training step; None for a GPU or a
    record without the CPU's bf16 fields. Records from before `cpu_amx` was recorded: an Intel CPU
    with native bf16 is taken to have AMX, any other not."""
    if machine.get("gpu") or "cpu_native_bf16" not in machine:
        return None
    amx = machine.get("cpu_amx")
    if amx is None:
        amx = bool(machine["cpu_native_bf16"]) and "intel" in str(machine.get("cpu", "")).lower()
    if amx:
        return "amx"
    return "avx512_bf16" if machine["cpu_native_bf16"] else "fp32"


def machine_speed(machine: dict[str, Any]) -> float | None:
    """Expected training-step throughput of a machine (relative units): its torch threads x the
    per-thread rate of its kind of CPU; None when its kind is unknown."""
    kind = cpu_kind(machine)
    if kind is None:
        return None
    return THREAD_RATE[kind] * int(machine.get("torch_threads") or machine.get("cpu_cores") or 1)


def describe(machine: dict[str, Any]) -> str:
    threads = machine.get("torch_threads") or machine.get("cpu_cores") or 1
    return f"{CPU_KINDS.get(str(cpu_kind(machine)), 'unknown')}, {threads} thread(s)"
