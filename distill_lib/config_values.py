"""Config values checked when loaded: each value made to fit its dataclass field's type, then
range-checked.

`coerce(value, annotation, key)` accepts a value of the field's type, converts what is unambiguous
(a number written as a string, '5e-5' for a float, '100' for an int, 1e4 for an int, 'true' /
'false' for a bool, an int for a float) and raises ConfigError naming the dotted key and the value
for anything else. `check_ranges(cfg)` applies RANGES (bounds and allowed values) and names the key,
the value and what is allowed. A paper option added after cells had run is declared with `LATE`
field metadata; `late_defaults(options)` names those holding their default (distill_lib.runs
leaves them out of a cell's identity).

Deliberately left out: checks that need other modules (which methods or datasets exist is checked
where they are built, with the known names listed).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from typing import Any


class ConfigError(ValueError):
    """A config file or override names something that does not exist, or a value that does not fit;
    the message says which file or override, which key and which value."""


TRUE, FALSE = ("true", "yes", "on"), ("false", "no", "off")
# field metadata of a paper option added after cells existed: hashed only away from its default
LATE = {"late": True}


def late_defaults(options: Any) -> list[str]:
    """The fields of an options dataclass declared with LATE metadata that hold their default."""
    if not dataclasses.is_dataclass(options):
        return []
    return [
        f.name
        for f in dataclasses.fields(options)
        if f.metadata.get("late") and getattr(options, f.name) == f.default
    ]


def _scalar(value: Any, kind: type, key: str) -> Any:
    bad = ConfigError(f"{key}: {value!r} is not a valid {kind.__name__}")
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in TRUE + FALSE:
            return value.strip().lower() in TRUE
        raise bad
    if isinstance(value, bool):  # True is an int to Python, never a number here
        raise bad
    if kind is int:
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                number = float(value.strip().replace("_", ""))
            except ValueError:
                raise bad from None
            if number.is_integer():
                return int(number)
        raise bad
    if kind is float:
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                raise bad from None
        raise bad
    if kind is str:
        if isinstance(value, str):
            return value
        raise bad
    return value


def coerce(value: Any, annotation: Any, key: str) -> Any:
    """`value` made to fit `annotation` (int, float, str, bool, X | None, list[X], dict[...],
    Any).
    """
    if annotation is Any:
        return value
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return coerce(value, inner[0], key) if len(inner) == 1 else value
    if origin is list:
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{key}: {value!r} is not a list (write [a, b] in YAML or --set)")
        return [coerce(v, args[0] if args else Any, f"{key}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{key}: {value!r} is not a mapping")
        return value
    if value is None:
        raise ConfigError(f"{key}: a value is required (got null)")
    return _scalar(value, annotation, key)


Check = tuple[Callable[[Any], bool], str]
POSITIVE: Check = (lambda v: v > 0, "> 0")
AT_LEAST_0: Check = (lambda v: v >= 0, ">= 0")
AT_LEAST_1: Check = (lambda v: v >= 1, ">= 1")
OPTIONAL_AT_LEAST_1: Check = (lambda v: v is None or v >= 1, ">= 1 or null")
UNIT: Check = (lambda v: 0 <= v <= 1, "in [0, 1]")
FRACTION: Check = (lambda v: 0 < v <= 1, "in (0, 1]")


def one_of(*allowed: str) -> Check:
    return (lambda v: v in allowed, f"one of {list(allowed)}")


RANGES: dict[str, Check] = {
    "data.train_limit": OPTIONAL_AT_LEAST_1,
    "data.valid_limit": OPTIONAL_AT_LEAST_1,
    "data.test_limit": (lambda v: v is None or v >= 0, ">= 0 or null"),
    "data.train_fraction": FRACTION,
    "student.kind": one_of("auto", "seq2seq", "causal"),
    "student.max_input_tokens": AT_LEAST_1,
    "student.max_target_tokens": AT_LEAST_1,
    "method.alpha": UNIT,
    "method.label_source": one_of("gold", "llm"),
    "train.lr": POSITIVE,
    "train.global_batch_size": AT_LEAST_1,
    "train.per_device_batch_size": AT_LEAST_1,
    "train.micro_batch_tokens": AT_LEAST_0,
    "train.heap_trim_above_gb": AT_LEAST_0,
    "train.max_steps": AT_LEAST_0,
    "train.warmup_ratio": UNIT,
    "train.schedule": one_of("linear", "cosine", "constant"),
    "train.select": one_of("last", "best"),
    "train.weight_decay": AT_LEAST_0,
    "train.grad_clip": AT_LEAST_0,
    "train.precision": one_of("auto", "bf16", "fp32"),
    "train.eval_every": AT_LEAST_1,
    "train.eval_subset": AT_LEAST_1,
    "train.log_every": AT_LEAST_1,
    "eval.batch_size": AT_LEAST_1,
    "eval.max_new_tokens": AT_LEAST_1,
    "eval.num_beams": AT_LEAST_1,
    "eval.no_repeat_ngram_size": AT_LEAST_0,
    "teacher.source": one_of("released", "live"),
    "teacher.temperature": AT_LEAST_0,
    "teacher.max_tokens": AT_LEAST_1,
    "teacher.n": AT_LEAST_1,
    "teacher.concurrency": AT_LEAST_1,
    "teacher.timeout_s": POSITIVE,
    "teacher.max_retries": AT_LEAST_0,
    "teacher.limit": OPTIONAL_AT_LEAST_1,
    "teacher.max_prompt_tokens": OPTIONAL_AT_LEAST_1,
    "grid.sized_for": one_of("cpu", "gpu", "any"),
    "grid.cell_process": one_of("same", "fresh"),
}
LIST_RANGES: dict[str, Check] = {
    "grid.fractions": FRACTION,
    "grid.seeds": AT_LEAST_0,
    "grid.extra_seeds": AT_LEAST_0,
}


def check_ranges(values: dict[str, Any], where: str) -> None:
    """Raise ConfigError for the first value outside its range (`values` is the config as nested
    dicts)."""

    def get(key: str) -> Any:
        node: Any = values
        for part in key.split("."):
            node = node[part]
        return node

    for key, (ok, allowed) in RANGES.items():
        if not ok(get(key)):
            raise ConfigError(f"{where}: {key} = {get(key)!r} is out of range: must be {allowed}")
    for key, (ok, allowed) in LIST_RANGES.items():
        for item in get(key):
            if not ok(item):
                raise ConfigError(f"{where}: {key} holds {item!r}: each must be {allowed}")
