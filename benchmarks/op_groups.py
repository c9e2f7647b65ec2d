"""torch.profiler's per-op table of one training step, folded into the groups a reader can act on.

Groups: the layers' matmuls, the output head's matmuls (any operand with the vocabulary's width),
SDPA attention forward and backward, eager attention, dtype conversions and copies,
cross-entropy, embedding, the optimizer with the grad-norm clip, elementwise / norm / rotary /
reduction ops, and the rest. Self time is what is summed, so no op is counted twice.

Deliberately left out: call stacks and per-module attribution (the shapes tell the head apart).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

ELEMENTWISE = {
    "aten::mul", "aten::mul_", "aten::add", "aten::add_", "aten::sub", "aten::div", "aten::neg",
    "aten::silu", "aten::silu_backward", "aten::pow", "aten::mean", "aten::rsqrt", "aten::sum",
    "aten::cat", "aten::fill_", "aten::zero_", "aten::where", "aten::masked_fill", "aten::cos",
    "aten::sin", "aten::index", "aten::index_put_", "aten::clone", "aten::eq", "aten::ne",
}  # fmt: skip
EAGER_ATTENTION = {"aten::bmm", "aten::baddbmm", "aten::_softmax", "aten::_softmax_backward_data"}
CONVERSIONS = {"aten::copy_", "aten::_to_copy", "aten::to"}
OPTIMIZER = {"aten::_fused_adamw_", "aten::linalg_vector_norm", "aten::_foreach_norm"}


def group_of(key: str, shapes: list, vocab: int) -> str:
    """The group of one profiler row (op name, its input shapes)."""
    if key == "aten::mm":
        dims = {d for shape in shapes if isinstance(shape, list) for d in shape}
        return "matmul: output head" if vocab in dims else "matmul: layers"
    if "scaled_dot_product" in key:
        return "attention (SDPA) backward" if "backward" in key else "attention (SDPA) forward"
    if key in EAGER_ATTENTION:
        return "attention (eager)"
    if key in CONVERSIONS:
        return "dtype conversions / copies"
    if "log_softmax" in key or "nll_loss" in key:
        return "cross-entropy"
    if "embedding" in key:
        return "embedding"
    if key in OPTIMIZER or "adam" in key:
        return "AdamW + grad-norm clip"
    if key in ELEMENTWISE:
        return "elementwise / norms / rotary / reductions"
    return "other"


def profile_groups(step: Callable[[], Any], vocab: int) -> dict[str, float]:
    """Each group's share of the profiled self time of one call of `step` (shares sum to 1)."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        step()
    totals: Counter[str] = Counter()
    for event in prof.key_averages(group_by_input_shape=True):
        if event.key.startswith("autograd::") or event.key.startswith("ProfilerStep"):
            totals["other"] += event.self_cpu_time_total
            continue
        totals[group_of(event.key, list(event.input_shapes), vocab)] += event.self_cpu_time_total
    whole = sum(totals.values()) or 1.0
    return {name: value / whole for name, value in totals.most_common()}
