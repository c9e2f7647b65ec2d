"""Which precision runs, and on what machine: bf16 autocast where the hardware has native bf16, else
fp32; attention kept in fp32 where the CPU's bf16 attention backward is a slow path.

`resolve_precision("auto")` gives "bf16" on a CUDA GPU with bf16 support and on a CPU with native
bf16 (AVX512-BF16 or AMX, asked through torch's own capability checks at run time), "fp32"
elsewhere; "bf16" / "fp32" are taken as asked. `autocast(precision, device)` is the matching context
for generation; training uses accelerate's.

`attention_precision(precision, device)` says in which precision training could run attention:
torch's CPU flash-attention kernel computes its bf16 backward on a slow path unless the CPU has AMX
tiles, so on a CPU with AVX512-BF16 but no AMX a bf16 step could keep its matmuls in bf16 and run
attention in fp32 (`training_attention`, which switches a transformers model to the fp32 SDPA
function registered here for the duration of a `with` block). The trainer does not apply it yet:
it changes the sums by CPU kind, so it needs a place in a cell's identity first; the benchmarks
use it. docs/performance.md has the measurements.

`machine_info()` names the CPU (and GPU) for the run record, with its bf16 features (AVX512-BF16,
AMX).

Deliberately left out: fp16 (no CPU path, and bf16 covers the GPUs this project targets), quantized
students, and timing the hardware at run time (the rule reads CPU flags only).
"""

from __future__ import annotations

import contextlib
import os
import platform
from collections.abc import Iterator
from typing import Any

import torch

PRECISIONS = ("auto", "bf16", "fp32")
FP32_ATTENTION = "sdpa_fp32"  # the attention function registered by `register_fp32_attention`


def cpu_flags() -> set[str]:
    """The CPU feature flags of /proc/cpuinfo (Linux; empty elsewhere)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def cpu_has_amx() -> bool:
    """True when this CPU has AMX tiles with bf16 (torch's check, or the kernel's CPU flags)."""
    if bool(getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)()):
        return True
    return {"amx_tile", "amx_bf16"} <= cpu_flags()


def cpu_has_avx512_bf16() -> bool:
    """True when this CPU has the AVX512-BF16 instructions (torch's check)."""
    return bool(getattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)())


def cpu_has_native_bf16() -> bool:
    """True when this CPU computes bf16 natively (AVX512-BF16 or AMX tiles), per torch's own
    checks.
    """
    return cpu_has_avx512_bf16() or cpu_has_amx()


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


def attention_precision(precision: str, device: str | None = None) -> str:
    """The precision training runs attention in: `precision`, except 'fp32' for a bf16 step on a
    CPU without AMX (its bf16 flash-attention backward is slower than fp32's)."""
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    if precision == "bf16" and not device.startswith("cuda") and not cpu_has_amx():
        return "fp32"
    return precision


def _sdpa_fp32(
    module: Any,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    *args: Any,
    **kwargs: Any,
) -> tuple:
    """transformers' SDPA attention computed in fp32 (autocast off), returned in the query's
    dtype."""
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    if attention_mask is not None and attention_mask.is_floating_point():
        attention_mask = attention_mask.float()  # an additive mask in the autocast dtype
    kwargs = {  # T5's position bias, too
        k: v.float() if isinstance(v, torch.Tensor) and v.is_floating_point() else v
        for k, v in kwargs.items()
    }
    with torch.autocast(query.device.type, enabled=False):
        out, weights = sdpa_attention_forward(
            module, query.float(), key.float(), value.float(), attention_mask, *args, **kwargs
        )
    return out.to(query.dtype), weights


def register_fp32_attention() -> str:
    """Register the fp32 SDPA function (and SDPA's masks) with transformers under
    FP32_ATTENTION."""
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

    AttentionInterface.register(FP32_ATTENTION, _sdpa_fp32)
    AttentionMaskInterface.register(FP32_ATTENTION, sdpa_mask)
    return FP32_ATTENTION


@contextlib.contextmanager
def training_attention(model: Any, precision: str, device: str | None = None) -> Iterator[str]:
    """Within the block, a model on SDPA attention runs it in `attention_precision(precision,
    device)`; yields the attention implementation in use. Models on other attention (eager, T5
    without SDPA) are left as they are."""
    config = getattr(model, "config", None)
    before = getattr(config, "_attn_implementation", None)
    if before != "sdpa" or attention_precision(precision, device) == precision:
        yield str(before)
        return
    model.set_attn_implementation(register_fp32_attention())
    try:
        yield FP32_ATTENTION
    finally:
        model.set_attn_implementation(before)


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


def cpu_generation(cpuinfo: str = "/proc/cpuinfo") -> str:
    """'family F model M' from /proc/cpuinfo: what tells two CPUs of one model name apart (a
    virtual machine's 'AMD EPYC' is a Zen 4 at family 25 and a Zen 5 at family 26); '' elsewhere."""
    fields: dict[str, str] = {}
    try:
        with open(cpuinfo) as f:
            for line in f:
                name, _, value = line.partition(":")
                if name.strip() in ("cpu family", "model") and name.strip() not in fields:
                    fields[name.strip()] = value.strip()
                if not line.strip():
                    break
    except OSError:
        return ""
    if len(fields) < 2:
        return ""
    return f"family {fields['cpu family']} model {fields['model']}"


def machine_info(precision: str | None = None) -> dict[str, Any]:
    """The machine a result came from: CPU model, generation and cores, its bf16 features, GPU name
    and count, the precision."""
    info: dict[str, Any] = {
        "cpu": cpu_model(),
        "cpu_generation": cpu_generation(),
        "cpu_cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "cpu_native_bf16": cpu_has_native_bf16(),
        "cpu_avx512_bf16": cpu_has_avx512_bf16(),
        "cpu_amx": cpu_has_amx(),
        "platform": platform.platform(),
    }
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
        info["gpu_count"] = torch.cuda.device_count()
    if precision is not None:
        info["precision"] = precision
    return info
