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


def pair_fields(record: dict[str, Any], pair_format: str) -> tuple[str, str]:
    """(source, source_b) of a record: a text pair kept apart for the featurizer's EOS join
    ('eos'), or written out with its fields named ('fields'); a single text unchanged."""
    pair = record.get("input_b", "")
    if not pair or pair_format == "eos":
        return record["input"], pair
    return f"Premise: {record['input']}\nHypothesis: {pair}", ""


class StandardFinetuning(Method):
    """input -> label (gold, or the teacher's with `method.label_source: llm`)."""

    @property
    def label_key(self) -> str:
        return "llm_label" if self.cfg.label_source == "llm" else "label"

    def source(self, record: dict[str, Any], prefix: str = "") -> tuple[str, str]:
        text, pair = pair_fields(record, getattr(self.cfg.options, "pair_format", "eos"))
        return prefix + text, pair

    def rows(self, record: dict[str, Any]) -> list[Row]:
        text, pair = self.source(record)
        return [Row(text, record[self.label_key], 0, pair)]

    def prompt(self, record: dict[str, Any], fmt: str = "label") -> Row:
        text, pair = self.source(record)
        return Row(text, "", 0, pair)


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
        label, pair = self.source(record, self.cfg.label_prefix)
        rationale, _ = self.source(record, self.cfg.rationale_prefix)
        return [
            Row(label, record[self.label_key], 0, pair),
            Row(rationale, record["rationale"], 1, pair),
        ]

    def prompt(self, record: dict[str, Any], fmt: str = "label") -> Row:
        text, pair = self.source(record, self.cfg.label_prefix)
        return Row(text, "", 0, pair)


class SingleTask(StandardFinetuning):
    """One target: `{rationale} So the answer is {label}`; the label is parsed back at test time."""

    def rows(self, record: dict[str, Any]) -> list[Row]:
        target = f"{record['rationale']} {ANSWER_MARKER} {record[self.label_key]}"
        text, pair = self.source(record)
        return [Row(text, target, 0, pair)]

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
