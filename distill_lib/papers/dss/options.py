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


PAIR_FORMATS = ("eos", "fields")


@dataclass
class MethodOptions:
    """alpha, label source and prefixes are MethodConfig fields; `pair_format` says how a text pair
    (NLI premise and hypothesis) reaches the student: joined with the EOS string as the reference
    does for T5 ('eos'), or with the fields named, 'Premise: ...' and 'Hypothesis: ...' on two
    lines ('fields'; a chat-tuned causal student otherwise sees an end-of-turn token mid-input)."""

    pair_format: str = "eos"

    def check(self) -> None:
        from distill_lib.config_values import ConfigError

        if self.pair_format not in PAIR_FORMATS:
            raise ConfigError(
                f"method.options.pair_format = {self.pair_format!r}: must be one of "
                f"{list(PAIR_FORMATS)}"
            )


@dataclass
class Extra:
    # datasets also sent to the live teacher (shown only)
    teacher_preview: list[str] = field(default_factory=list)
    # the rationale stage's datasets (empty: the grid's)
    teacher_datasets: list[str] = field(default_factory=list)
    # SVAMP scored by exact float equality, as the reference's eval (else isclose 1e-6)
    exact_svamp: bool = False
