"""Methods: how a record becomes training rows and test prompts, one registry for all three papers.

Deliberately left out: tokenization, loss and loop (distill_lib.train), scoring (distill_lib.evaluate).
"""

from __future__ import annotations

from collections.abc import Callable

from distill_lib.config import MethodConfig
from distill_lib.methods.base import (
    ANSWER_MARKER,
    DistillingStepByStep,
    Method,
    Row,
    SingleTask,
    standard_distillation,
)
from distill_lib.methods.math import TRIGGERS, MathThoughts, math_input
from distill_lib.methods.scigen import SciGenMode

METHODS: dict[str, Callable[[MethodConfig], Method]] = {
    "standard_ft": Method, "standard_distill": standard_distillation, "dss": DistillingStepByStep,
    "single_task": SingleTask, "cotd": MathThoughts, "potd": MathThoughts, "eotd": MathThoughts,
    "etd": MathThoughts, "scigen_reasoning_input": SciGenMode, "scigen_reasoning_output": SciGenMode,
    "scigen_plain": SciGenMode,
}
__all__ = ["ANSWER_MARKER", "METHODS", "TRIGGERS", "Method", "Row", "build_method", "math_input"]


def build_method(cfg: MethodConfig) -> Method:
    """The Method named by cfg.name (a copy of cfg is used, so the caller's config is left untouched)."""
    if cfg.name not in METHODS:
        raise KeyError(f"unknown method '{cfg.name}'; known: {sorted(METHODS)}")
    import copy

    return METHODS[cfg.name](copy.deepcopy(cfg))
