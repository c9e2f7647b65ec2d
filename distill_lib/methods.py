"""The method contract every paper's methods follow: how a record becomes training rows and test
prompts.

A `Method` turns one record into `Row(source, target, task, source_b)` training rows (`task` indexes
the loss weights in `weights`), and at test time gives one prompt per thought format it is tested on
(`formats`; "label" when there is a single answer), reading the label back from the generated text
with `read_label`. Each paper's package defines its methods on this base
(distill_lib.papers.<paper>.methods).

Deliberately left out: tokenization, the loss and the loop (distill_lib.train), scoring (the
papers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from distill_lib.config_sections import MethodConfig

LABEL = "label"  # the format name of a method with a single answer per prompt


@dataclass(frozen=True)
class Row:
    source: str
    target: str
    task: int = 0
    # second text of a pair (NLI hypothesis), joined to `source` with the EOS string
    source_b: str = ""


class Method:
    """Base: one task (weight 1.0), one format ('label'), the label read back as the stripped
    text.
    """

    formats: ClassVar[tuple[str, ...]] = (LABEL,)
    # formats the method has but its training data lacks (see fitted_to)
    absent_formats: tuple[str, ...] = ()
    # per task, training rows dropped for an empty target (train.features)
    dropped_rows: dict[int, int] = {}
    # per format, the new-token budget at test time (evaluate.budget), set by the cell
    generation_budgets: dict[str, int] = {}

    def __init__(self, cfg: MethodConfig):
        self.cfg = cfg
        self.weights: list[float] = [1.0]

    def rows(self, record: dict[str, Any]) -> list[Row]:
        raise NotImplementedError

    def prompt(self, record: dict[str, Any], fmt: str) -> Row:
        raise NotImplementedError

    def read_label(self, text: str) -> str:
        return text.strip()

    def fitted_to(self, train_records: list[dict[str, Any]]) -> Method:
        """The method as it can be trained on these records (the base: unchanged). A method whose
        formats the data lacks drops them, so it is never tested on a format it was not trained
        on."""
        return self
