"""Math thought distillation (EoTD paper): CoTD, PoTD, EoTD and ETD share one input layout.

Student input: `Question: {q}\n{trigger}\n`, the trigger naming the thought format (exact characters
from the authors' ETD model card; note U+2019 in the program trigger). CoTD/PoTD/EoTD train on one
format's verified teacher paths; ETD on the union (a question appears once per format that survived
filtering). At test time a prompt is built per requested format; the scorer verifies the generated
thought by its format.

Deliberately left out: verification itself (distill_lib.verify) and teacher prompting
(distill_lib.prompts).
"""

from __future__ import annotations

import copy
from typing import Any

from distill_lib.config_sections import MethodConfig
from distill_lib.methods import Method, Row

TRIGGERS = {
    "cot": "Let's think step by step.",
    "pot": "Let\u2019s break down the code step by step",
    "eot": "System of linear equations: (Do not simplify)",
}
METHOD_FORMATS = {
    "cotd": ("cot",),
    "potd": ("pot",),
    "eotd": ("eot",),
    "etd": ("cot", "pot", "eot"),
}


def math_input(question: str, fmt: str) -> str:
    return f"Question: {question}\n{TRIGGERS[fmt]}\n"


class MathThoughts(Method):
    """Train on verified teacher thoughts of the method's formats; `prompt` takes the format to
    test. The checkpoint is selected on the mean validation accuracy over the formats it is tested
    on."""

    def __init__(self, cfg: MethodConfig):
        super().__init__(cfg)
        self.formats = tuple(cfg.options.formats or METHOD_FORMATS[cfg.name])  # type: ignore[misc]

    def rows(self, record: dict[str, Any]) -> list[Row]:
        if record["format"] not in self.formats:
            return []
        return [Row(math_input(record["input"], record["format"]), record["rationale"])]

    def prompt(self, record: dict[str, Any], fmt: str) -> Row:
        return Row(math_input(record["input"], fmt), "")

    def fitted_to(self, train_records: list[dict[str, Any]]) -> MathThoughts:
        """Only the formats the training data has (ETD on a pool without chain-of-thought data is
        trained, tested and selected on programs and equations only); `absent_formats` names the
        others."""
        available = {r["format"] for r in train_records}
        fitted = copy.copy(self)
        fitted.formats = tuple(f for f in self.formats if f in available)
        fitted.absent_formats = tuple(f for f in self.formats if f not in available)
        return fitted


METHODS: dict[str, type[Method]] = {name: MathThoughts for name in METHOD_FORMATS}
