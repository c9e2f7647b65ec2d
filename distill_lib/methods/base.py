"""Base methods for classification-style distillation (DSS paper): standard, step-by-step, single-task.

A `Method` turns one record into one or more `Row(source, target, task, source_b)`; `task` indexes the method's
loss weights (DSS: 0 = label with weight alpha, 1 = rationale with weight 1 - alpha). At test time
`prompt(record)` gives the label-task input and `read_label(text)` turns generated text into the label the
scorer compares (single-task: the text after the last "So the answer is").

Deliberately left out: tokenization, the loss and the loop (distill_lib.train), scoring (distill_lib.evaluate).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from distill_lib.config import MethodConfig

ANSWER_MARKER = "So the answer is"


@dataclass(frozen=True)
class Row:
    source: str
    target: str
    task: int = 0
    source_b: str = ""  # second text of a pair (NLI hypothesis), joined to `source` with the EOS string


@dataclass
class Method:
    """Standard finetuning / distillation: input -> label (gold or the teacher's)."""

    cfg: MethodConfig
    weights: list[float] = field(default_factory=lambda: [1.0])

    @property
    def label_key(self) -> str:
        return "llm_label" if self.cfg.label_source == "llm" else "label"

    def rows(self, record: dict[str, Any]) -> list[Row]:
        return [Row(record["input"], record[self.label_key], 0, record.get("input_b", ""))]

    def prompt(self, record: dict[str, Any]) -> Row:
        return Row(record["input"], "", 0, record.get("input_b", ""))

    def read_label(self, text: str) -> str:
        return text.strip()


class DistillingStepByStep(Method):
    """Two tasks with prefixes: `predict: x -> y` (weight alpha) and `explain: x -> r` (weight 1 - alpha)."""

    def __init__(self, cfg: MethodConfig):
        super().__init__(cfg, weights=[cfg.alpha, 1.0 - cfg.alpha])

    def rows(self, record: dict[str, Any]) -> list[Row]:
        pair = record.get("input_b", "")
        return [Row(self.cfg.label_prefix + record["input"], record[self.label_key], 0, pair),
                Row(self.cfg.rationale_prefix + record["input"], record["rationale"], 1, pair)]

    def prompt(self, record: dict[str, Any]) -> Row:
        return Row(self.cfg.label_prefix + record["input"], "", 0, record.get("input_b", ""))


class SingleTask(Method):
    """One target: `{rationale} So the answer is {label}`; the label is parsed back at test time."""

    def rows(self, record: dict[str, Any]) -> list[Row]:
        target = f"{record['rationale']} {ANSWER_MARKER} {record[self.label_key]}"
        return [Row(record["input"], target, 0, record.get("input_b", ""))]

    def read_label(self, text: str) -> str:
        if ANSWER_MARKER not in text:
            return text.strip()
        label = text.rsplit(ANSWER_MARKER, 1)[1].strip()
        return label[:-1] if label.endswith(".") else label


def standard_distillation(cfg: MethodConfig) -> Method:
    """Standard distillation: the teacher's label is the target."""
    cfg.label_source = "llm"
    return Method(cfg)
