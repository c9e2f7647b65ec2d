"""How many new tokens each test format may generate, from the method's own training targets.

A label needs a handful of tokens, a chain of thought or a program many more: one ceiling for
every format (`eval.max_new_tokens`) lets an unstopped row decode to the ceiling. The budget of a
format is the longest training target for prompts of that format (in tokens, end-of-sequence
included) plus a margin, never above the ceiling. A greedy row that would stop within its budget
generates exactly what it would have under the ceiling.

Deliberately left out: decoding itself (distill_lib.evaluate.generate) and which rows of a
method answer which prompt (the method's `rows` and `prompt`, read here, decide it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from distill_lib.methods import Method

MARGIN_FRACTION = 0.25  # margin over the longest target, as a fraction of it
MARGIN_MIN = 8  # and at least this many tokens


def _answers(method: Method, record: dict[str, Any], fmt: str) -> list[str]:
    """Targets of the record's training rows that answer the test prompt of `fmt`."""
    prompt = method.prompt(record, fmt)
    key = (prompt.source, prompt.source_b)
    return [r.target for r in method.rows(record) if (r.source, r.source_b) == key and r.target]


def generation_budgets(
    method: Method, train_records: Sequence[dict[str, Any]], tokenizer: Any, ceiling: int
) -> dict[str, int]:
    """Per format of `method`, the new-token budget: the longest matching training target plus
    the margin, capped at `ceiling`; the ceiling itself where no training row answers the
    format's prompt (e.g. an untrained cell's format absent from the data)."""
    budgets: dict[str, int] = {}
    for fmt in method.formats:
        targets = [t for rec in train_records for t in _answers(method, rec, fmt)]
        if not targets:
            budgets[fmt] = ceiling
            continue
        encoded = tokenizer(targets, add_special_tokens=False)["input_ids"]
        longest = max(len(ids) for ids in encoded) + 1  # the end-of-sequence token
        margin = max(MARGIN_MIN, int(longest * MARGIN_FRACTION))
        budgets[fmt] = min(ceiling, longest + margin)
    return budgets
