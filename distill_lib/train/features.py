"""Training rows a method can learn from: rows with an empty target are dropped and counted, never
trained on.

`usable_rows(method, records)` gives, per record, the method's rows whose target has text (a record
that keeps none is dropped), and per task how many rows were dropped. An empty target is a missing
rationale or teacher label: a released rationale that failed to parse, or a live teacher request
that failed. When more than MAX_DROPPED_SHARE of a task's rows are empty, `TrainingDataError`
refuses to train and says how many and why: a teacher run that mostly failed must be fixed, not
trained on.

Deliberately left out: tokenization (distill_lib.train.batching) and where the records come from.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from distill_lib.methods import Method, Row

MAX_DROPPED_SHARE = 0.5


class TrainingDataError(ValueError):
    """Too many training rows have nothing to learn; the message names the task and the counts."""


def usable_rows(
    method: Method, records: list[dict[str, Any]]
) -> tuple[list[list[Row]], dict[int, int]]:
    """(per kept record its rows with a target, per task the number of rows dropped for an empty
    target)."""
    kept: list[list[Row]] = []
    dropped: Counter[int] = Counter()
    total: Counter[int] = Counter()
    for record in records:
        rows = method.rows(record)
        total.update(row.task for row in rows)
        dropped.update(row.task for row in rows if not row.target.strip())
        usable = [row for row in rows if row.target.strip()]
        if usable:
            kept.append(usable)
    for task, count in dropped.items():
        if count > MAX_DROPPED_SHARE * total[task]:
            raise TrainingDataError(
                f"{method.cfg.name}: {count} of {total[task]} training rows of task {task} have an "
                "empty target "
                "(no rationale or no teacher label): refusing to train on them; check the teacher "
                "stage's "
                "failures and parse failures"
            )
    return kept, dict(dropped)
