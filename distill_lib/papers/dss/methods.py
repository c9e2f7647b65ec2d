"""Distilling step-by-step methods: standard finetuning and distillation, step-by-step, single-task.

- `standard_ft`: input -> gold label; `standard_distill`: input -> the teacher's label.
- `dss`: two tasks with prefixes, `predict: x -> y` (weight alpha) and `explain: x -> r` (weight 1 -
  alpha), from one forward pass; `method.label_source: llm` trains the label task on the teacher's
  labels.
- `single_task`: one target `{rationale} So the answer is {label}`; the label is the text after the
  last marker.

Deliberately left out: tokenization, the loss and the loop (distill_lib.train), scoring
(papers.dss.scoring).
"""

from __future__ import annotations

from typing import Any

from distill_lib.config_sections import MethodConfig
from distill_lib.methods import Method, Row

ANSWER_MARKER = "So the answer is"


class StandardFinetuning(Method):
    """input -> label (gold, or the teacher's with `method.label_source: llm`)."""

    @property
    def label_key(self) -> str:
        return "llm_label" if self.cfg.label_source == "llm" else "label"

    def rows(self, record: dict[str, Any]) -> list[Row]:
        return [Row(record["input"], record[self.label_key], 0, record.get("input_b", ""))]

    def prompt(self, record: dict[str, Any], fmt: str = "label") -> Row:
        return Row(record["input"], "", 0, record.get("input_b", ""))


class StandardDistillation(StandardFinetuning):
    """input -> the teacher's label, whatever `method.label_source` says."""

    @property
    def label_key(self) -> str:
        return "llm_label"


class DistillingStepByStep(StandardFinetuning):
    """Label task (weight alpha) and rationale task (weight 1 - alpha), told apart by their
    prefixes."""

    def __init__(self, cfg: MethodConfig):
        super().__init__(cfg)
        self.weights = [cfg.alpha, 1.0 - cfg.alpha]

    def rows(self, record: dict[str, Any]) -> list[Row]:
        pair = record.get("input_b", "")
        return [
            Row(self.cfg.label_prefix + record["input"], record[self.label_key], 0, pair),
            Row(self.cfg.rationale_prefix + record["input"], record["rationale"], 1, pair),
        ]

    def prompt(self, record: dict[str, Any], fmt: str = "label") -> Row:
        return Row(self.cfg.label_prefix + record["input"], "", 0, record.get("input_b", ""))


class SingleTask(StandardFinetuning):
    """One target: `{rationale} So the answer is {label}`; the label is parsed back at test time."""

    def rows(self, record: dict[str, Any]) -> list[Row]:
        target = f"{record['rationale']} {ANSWER_MARKER} {record[self.label_key]}"
        return [Row(record["input"], target, 0, record.get("input_b", ""))]

    def read_label(self, text: str) -> str:
        if ANSWER_MARKER not in text:
            return text.strip()
        label = text.rsplit(ANSWER_MARKER, 1)[1].strip()
        return label[:-1] if label.endswith(".") else label


METHODS: dict[str, type[Method]] = {
    "standard_ft": StandardFinetuning,
    "standard_distill": StandardDistillation,
    "dss": DistillingStepByStep,
    "single_task": SingleTask,
}
