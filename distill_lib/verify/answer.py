"""Reading a numeric answer out of chain-of-thought text, and comparing answers with gold.

`extract_cot_answer` implements the spec rule (eotd.md §3): the number after the last "answer is"
(this covers "The answer is N", "the answer is $1,200." and ReFT's "Therefore, the answer is <N>."),
else the last number in the text. Numbers may carry thousands commas, a `$`, a sign, a unit after
them, a trailing period, or be a simple fraction `a/b`.

Deliberately left out: words for numbers ("five"), percent/unit conversion (50% reads as 50), mixed
numbers ("1 1/2" reads as 1/2), and any arithmetic on the text (the answer must be written out).
"""

from __future__ import annotations

import math
import re

# an optional sign (not a hyphen inside a word like "3-4" or "x-5"), an optional $, then digits with
# optional thousands commas and decimals, then an optional "/ denominator"
NUMBER = re.compile(
    r"(?<![\w.)])(?P<sign>-)?\s?\$?\s?(?P<sign2>-)?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"(?:\s?/\s?(?P<den>\d+(?:\.\d+)?)(?![\d,]))?"
)
ANSWER_CUE = re.compile(r"answer\s+is", re.IGNORECASE)


def _match_value(match: re.Match) -> float | None:
    value = float(match.group("num").replace(",", ""))
    if match.group("den") is not None:
        denominator = float(match.group("den"))
        if denominator == 0:
            return None
        value /= denominator
    return -value if (match.group("sign") or match.group("sign2")) else value


def parse_number(text: str) -> float | None:
    """The first number in `text` ("1,234", "$5", "-3.5 kg", "3/4"), or None when there is none."""
    match = NUMBER.search(text or "")
    return _match_value(match) if match else None


def extract_cot_answer(text: str) -> float | None:
    """The number after the last "answer is", else the last number in the text; None when there is
    none."""
    if not isinstance(text, str) or not text:
        return None
    cues = list(ANSWER_CUE.finditer(text))
    if cues:
        value = parse_number(text[cues[-1].end() :])
        if value is not None:
            return value
    matches = list(NUMBER.finditer(text))
    return _match_value(matches[-1]) if matches else None


def answers_match(pred: float | None, gold: float | None, tol: float = 1e-3) -> bool:
    """True when both are finite numbers with |pred - gold| < tol; a missing answer never
    matches.
    """
    if pred is None or gold is None:
        return False
    if not (math.isfinite(pred) and math.isfinite(gold)):
        return False
    return abs(pred - gold) < tol
