"""Math distillation options (EoTD / ETD), checked when the config loads."""

from __future__ import annotations

from dataclasses import dataclass, field

from distill_lib.config_values import ConfigError

FORMATS = ("cot", "pot", "eot")
# the training pools (data.dataset); the benchmarks are test sets
POOLS = ("math-gsm8k", "math-reft")
DATASETS = POOLS
METHOD_NAMES = ("cotd", "potd", "eotd", "etd")
BENCHMARKS = ("gsm8k", "svamp", "asdiv", "multiarith")


def _check_formats(key: str, formats: list[str]) -> None:
    if not set(formats) <= set(FORMATS):
        raise ConfigError(f"{key} = {formats}: each must be one of {list(FORMATS)}")


@dataclass
class DataOptions:
    valid_fraction: float = 0.05  # share of the pool's questions held out to pick the checkpoint
    split_seed: int = 0
    # teacher thoughts built and kept
    formats: list[str] = field(default_factory=lambda: list(FORMATS))

    def check(self) -> None:
        if not 0 < self.valid_fraction < 1:
            raise ConfigError(
                f"data.options.valid_fraction = {self.valid_fraction}: must be in (0, 1)"
            )
        _check_formats("data.options.formats", self.formats)


@dataclass
class MethodOptions:
    # thoughts trained and tested (empty: the method's own)
    formats: list[str] = field(default_factory=list)

    def check(self) -> None:
        _check_formats("method.options.formats", self.formats)


@dataclass
class Extra:
    # benchmarks every cell is tested on (empty: the pool's)
    eval_datasets: list[str] = field(default_factory=list)
    # GSM8K questions per format sent to the live teacher in notebook 06 (shown only)
    teacher_preview: int = 0
    verify_workers: int = 2  # sandbox workers verifying generated programs and equation systems

    def check(self) -> None:
        unknown = sorted(set(self.eval_datasets) - set(BENCHMARKS))
        if unknown:
            raise ConfigError(
                f"extra.eval_datasets: unknown benchmark(s) {unknown}; known: {list(BENCHMARKS)}"
            )
        if self.teacher_preview < 0 or self.verify_workers < 1:
            raise ConfigError("extra.teacher_preview must be >= 0 and extra.verify_workers >= 1")
