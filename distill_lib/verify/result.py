"""The outcome of one verification: a numeric answer, or a named reason why there is none.

Every verifier (CoT extraction, the program sandbox, the equation solver) returns a VerifyResult, so
callers count failures by `status` instead of catching exceptions. `number_result` turns a computed
value into `ok` or `non_numeric` the same way for every verifier (a value that is not a finite float
is not an answer), and `shorten` cuts a long failure detail in the middle, so that both where it
happened (the head) and why (the tail, where exception messages put their cause) survive;
`printable` shows a value in a detail even where `str` refuses (integers past Python's digit limit).

Deliberately left out: comparing the answer with gold (see
`distill_lib.verify.answer.answers_match`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Each status's meaning is in docs/verification.md. Briefly: too_complex, the text is longer or more
# deeply nested than the limits (distill_lib.verify.limits), or an equation's polynomial degree is
# above what the solver takes on, checked before any work is done; undefined, a division by zero
# makes a value undefined (`0/0`); self_reference, an equation defines a name by itself
# (`ans = ans + 1`); ambiguous, several real solutions and not exactly one of them non-negative
STATUSES = (
    "ok",
    "timeout",
    "error",
    "no_answer",
    "non_numeric",
    "forbidden",
    "memory",
    "unparsable",
    "unsolvable",
    "underdetermined",
    "too_complex",
    "undefined",
    "self_reference",
    "ambiguous",
)
DETAIL_CHARS = 300
ELLIPSIS = " ... "


@dataclass(frozen=True)
class VerifyResult:
    answer: float | None
    status: str
    detail: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown verify status {self.status!r}; expected one of {STATUSES}")
        if (self.status == "ok") != (self.answer is not None):
            raise ValueError(
                f"status {self.status!r} with answer {self.answer!r}: only 'ok' carries an answer"
            )

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict:
        return {"answer": self.answer, "status": self.status, "detail": self.detail}

    @classmethod
    def from_dict(cls, data: dict) -> VerifyResult:
        return cls(data.get("answer"), data["status"], data.get("detail", ""))


def shorten(text: str, limit: int = DETAIL_CHARS) -> str:
    """`text` if it fits in `limit` characters, else its head and its tail joined by " ... " (limit
    in all)."""
    if len(text) <= limit:
        return text
    keep = limit - len(ELLIPSIS)
    head = keep // 2
    return text[:head] + ELLIPSIS + text[len(text) - (keep - head) :]


def printable(value: object) -> str:
    """`str(value)`, or a note where Python refuses to print it (an integer above its digit
    limit).
    """
    try:
        return str(value)
    except ValueError as err:
        return f"<{type(value).__name__} too large to print: {err}>"


def number_result(value: float, what: str = "answer") -> VerifyResult:
    """`ok` for a finite float; `non_numeric` for inf or nan (say, an integer too large for a
    float)."""
    if not math.isfinite(value):
        return VerifyResult(None, "non_numeric", f"{what} is {value}: not a finite number")
    return VerifyResult(value, "ok")
