"""Table-to-text modes on SciGen (table reasoning distillation paper), one class each.

- `scigen_reasoning_input` (the paper's setting): source = linearized table + teacher reasoning,
  target = text.
- `scigen_reasoning_output`: source = table, target = reasoning then the description (the student
  reasons).
- `scigen_plain` (traditional fine-tuning baseline): source = table, target = description.
The marker separating reasoning from description in `scigen_reasoning_output` is `Description:`.

Deliberately left out: table cleaning/linearization (papers.scigen.data) and metrics
(papers.scigen.metrics).
"""

from __future__ import annotations

from typing import Any, ClassVar

from distill_lib.methods import Method, Row

REASONING_TAG = "Reasoning:"
DESCRIPTION_TAG = "Description:"


class Plain(Method):
    """table -> description (traditional fine-tuning)."""

    # whether the teacher's triples are part of this method's data (splits, fingerprint)
    reads_teacher: ClassVar[bool] = False

    def source(self, record: dict[str, Any]) -> str:
        return record["input"]

    def target(self, record: dict[str, Any]) -> str:
        return record["label"]

    def rows(self, record: dict[str, Any]) -> list[Row]:
        return [Row(self.source(record), self.target(record))]

    def prompt(self, record: dict[str, Any], fmt: str = "label") -> Row:
        return Row(self.source(record), "")


class ReasoningInput(Plain):
    """table + the teacher's reasoning -> description (tables the teacher did not see: the plain
    table)."""

    reads_teacher: ClassVar[bool] = True

    def source(self, record: dict[str, Any]) -> str:
        if record.get("rationale"):
            return f"{record['input']} {REASONING_TAG} {record['rationale']}"
        return record["input"]


class ReasoningOutput(Plain):
    """table -> the teacher's reasoning, then the description; the description is read back after
    its tag."""

    reads_teacher: ClassVar[bool] = True

    def target(self, record: dict[str, Any]) -> str:
        return f"{REASONING_TAG} {record['rationale']} {DESCRIPTION_TAG} {record['label']}"

    def read_label(self, text: str) -> str:
        if DESCRIPTION_TAG in text:
            return text.rsplit(DESCRIPTION_TAG, 1)[1].strip()
        return text.strip()


METHODS: dict[str, type[Plain]] = {
    "scigen_plain": Plain,
    "scigen_reasoning_input": ReasoningInput,
    "scigen_reasoning_output": ReasoningOutput,
}


def reads_teacher(method_name: str) -> bool:
    """Whether the method's data includes the teacher's triples (an unknown name: assume it does, so
    its fingerprint still follows the teacher)."""
    method = METHODS.get(method_name)
    return method is None or method.reads_teacher
