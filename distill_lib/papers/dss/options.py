"""Distilling step-by-step options, checked when the config loads (`data.options`, `method.options`,
`extra`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from distill_lib.papers.dss.methods import METHODS

DATASETS = ("cqa", "svamp", "anli1", "esnli")
METHOD_NAMES = tuple(METHODS)


@dataclass
class DataOptions:
    """No data options: the splits follow the reference code."""


@dataclass
class MethodOptions:
    """No method options: alpha, label source and prefixes are MethodConfig fields."""


@dataclass
class Extra:
    # datasets also sent to the live teacher (shown only)
    teacher_preview: list[str] = field(default_factory=list)
    # the rationale stage's datasets (empty: the grid's)
    teacher_datasets: list[str] = field(default_factory=list)
    # SVAMP scored by exact float equality, as the reference's eval (else isclose 1e-6)
    exact_svamp: bool = False
