"""Table-to-text modes on SciGen (table reasoning distillation paper).

- `scigen_reasoning_input` (the paper's setting): source = linearized table + teacher reasoning, target = text.
- `scigen_reasoning_output`: source = table, target = reasoning then the description (the student reasons).
- `scigen_plain` (traditional fine-tuning baseline): source = table, target = description.
The reasoning marker separating reasoning from description in `scigen_reasoning_output` is `Description:`.

Deliberately left out: table cleaning/linearization (distill_lib.data.scigen) and metrics.
"""

from __future__ import annotations

from typing import Any

from distill_lib.methods.base import Method, Row

REASONING_TAG = "Reasoning:"
DESCRIPTION_TAG = "Description:"


class SciGenMode(Method):
    def _source(self, record: dict[str, Any]) -> str:
        if self.cfg.name == "scigen_reasoning_input" and record.get("rationale"):
            return f"{record['input']} {REASONING_TAG} {record['rationale']}"
        return record["input"]

    def rows(self, record: dict[str, Any]) -> list[Row]:
        target = record["label"]
        if self.cfg.name == "scigen_reasoning_output":
            target = f"{REASONING_TAG} {record['rationale']} {DESCRIPTION_TAG} {record['label']}"
        return [Row(self._source(record), target)]

    def prompt(self, record: dict[str, Any]) -> Row:
        return Row(self._source(record), "")

    def read_label(self, text: str) -> str:
        if self.cfg.name == "scigen_reasoning_output" and DESCRIPTION_TAG in text:
            return text.rsplit(DESCRIPTION_TAG, 1)[1].strip()
        return text.strip()
