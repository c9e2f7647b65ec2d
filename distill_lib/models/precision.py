"""Which precision runs, and on what machine: bf16 autocast where the hardware has native bf16, else
fp32.

`resolve_precision("auto")` gives "bf16" on a CUDA GPU with bf16 support and on a CPU with native
bf16 (AVX512-BF16 or AMX, asked through torch's own capability checks at run time), "fp32"
elsewhere; "bf16" / "fp32" are taken as asked. `autocast(precision, device)` is the matching context
for generation; training uses accelerate's. `machine_info()` names the CPU (and GPU) for the run
record.

Deliberately left out: fp16 (no CPU path, and bf16 covers the GPUs this project targets) and
quantized students.
"""

from __future__ import annotations

import contextlib
import os
import platform
from collections.abc import Iterator
from typing import Any

import torch

PRECISIONS = ("auto", "bf16", "fp32")


def cpu_has_native_bf16() -> bool:
    """True when this CPU computes bf16 natively (AVX512-BF16 or AMX tiles), per torch's own
    checks.
    """
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in checks)


def resolve_precision(requested: str, device: str | None = None) -> str:
    """'bf16' or 'fp32' for `requested` in PRECISIONS on `device` ('cuda' / 'cpu'; None: CUDA when
    present)."""
    if requested not in PRECISIONS:
        raise ValueError(f"train.precision must be one of {PRECISIONS}, got {requested!r}")
    if requested != "auto":
        return requested
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda"):
        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    return "bf16" if cpu_has_native_bf16() else "fp32"


@contextlib.contextmanager
def autocast(precision: str, device: torch.device | str) -> Iterator[None]:
    """bf16 autocast on `device` when `precision` is 'bf16'; a no-op for 'fp32'."""
    device_type = torch.device(device).type
    if precision == "bf16":
        with torch.autocast(device_type=device_type, dtype=torch.bfloat16):
            yield
    else:
        yield


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else what `platform` knows."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info(precision: str | None = None) -> dict[str, Any]:
    """The machine a result came from: CPU model and cores, GPU name and count, native bf16, the
    precision."""
    info: dict[str, Any] = {
        "cpu": cpu_model(),
        "cpu_cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "cpu_native_bf16": cpu_has_native_bf16(),
        "platform": platform.platform(),
    }
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
        info["gpu_count"] = torch.cuda.device_count()
    if precision is not None:
        info["precision"] = precision
    return info
