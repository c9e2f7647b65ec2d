"""The outcome of one verification: a numeric answer, or a named reason why there is none.

Every verifier (CoT extraction, the program sandbox, the equation solver) returns a VerifyResult, so callers
count failures by `status` instead of catching exceptions.

Deliberately left out: comparing the answer with gold (see `distill_lib.verify.answer.answers_match`).
"""

from __future__ import annotations

from dataclasses import dataclass

STATUSES = ("ok", "timeout", "error", "no_answer", "non_numeric", "forbidden", "memory", "unparsable",
            "unsolvable", "underdetermined")


@dataclass(frozen=True)
class VerifyResult:
    answer: float | None
    status: str
    detail: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown verify status {self.status!r}; expected one of {STATUSES}")
        if (self.status == "ok") != (self.answer is not None):
            raise ValueError(f"status {self.status!r} with answer {self.answer!r}: only 'ok' carries an answer")

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict:
        return {"answer": self.answer, "status": self.status, "detail": self.detail}

    @classmethod
    def from_dict(cls, data: dict) -> VerifyResult:
        return cls(data.get("answer"), data["status"], data.get("detail", ""))
