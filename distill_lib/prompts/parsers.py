"""Parsers from a teacher completion to (rationale, label, fields), one per template family.

- `palm:<dataset>`: the DSS rules of distill_lib.data.palm.parse_palm_output, so live teacher output and the
  released PaLM output go through one parser.
- `math:cot|pot|eot`: the rationale is the text itself (steps / program / equations); the label stays '' because
  answers are verified elsewhere (distill_lib.verify). `ok` only says the text has the expected ending.
- `scigen`: `Reasoning k: / Statement k: / Verification k:` line triples.

Every parser first cuts the completion at the first stop string (some servers keep it in the text).
Deliberately left out: judging whether an answer is right.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Parsed:
    rationale: str
    label: str
    ok: bool
    fields: dict[str, Any] = field(default_factory=dict)


def cut_at_stop(text: str, stop: Iterable[str]) -> str:
    cuts = [text.find(s) for s in stop if s and s in text]
    return text[: min(cuts)] if cuts else text


def parse_palm(dataset: str, text: str) -> Parsed:
    from distill_lib.data.palm import parse_palm_output

    rationale, label = parse_palm_output(dataset, text)
    return Parsed(rationale, label, ok=bool(rationale.strip() and label.strip()))


MATH_ENDINGS = {
    "cot": re.compile(r"answer is", re.IGNORECASE),
    "pot": re.compile(r"^\s*ans\s*=", re.MULTILINE),
    "eot": re.compile(r"^\s*ans\s*=", re.MULTILINE),
}


def parse_math(kind: str, text: str) -> Parsed:
    if kind not in MATH_ENDINGS:
        raise KeyError(f"no math parser '{kind}'; known: {sorted(MATH_ENDINGS)}")
    rationale = re.split(r"\n\s*Question:", text)[0].strip()
    return Parsed(rationale, "", ok=bool(MATH_ENDINGS[kind].search(rationale)))


TRIPLE_LINE = re.compile(r"^\s*(Reasoning|Statement|Verification)\s*(\d+)\s*:\s*(.*)$", re.IGNORECASE)


def parse_scigen(text: str) -> Parsed:
    """Triples keyed by their number; a triple counts only with a statement, `verified` when it says true."""
    by_number: dict[int, dict[str, str]] = {}
    for line in text.splitlines():
        match = TRIPLE_LINE.match(line)
        if match:
            kind, number, value = match.group(1).lower(), int(match.group(2)), match.group(3).strip()
            by_number.setdefault(number, {})[kind] = value
    triples = [
        {"reasoning": t.get("reasoning", ""), "statement": t["statement"],
         "verification": t.get("verification", ""),
         "verified": "true" in t.get("verification", "").lower() and "false" not in t.get("verification", "").lower()}
        for _, t in sorted(by_number.items()) if t.get("statement")
    ]
    first = next((t for t in triples if t["verified"]), triples[0] if triples else None)
    if first is None:
        return Parsed("", "", ok=False, fields={"triples": []})
    return Parsed(first["reasoning"], first["statement"], ok=True, fields={"triples": triples})


PARSERS: dict[str, Callable[[str, str], Parsed]] = {
    "palm": parse_palm,
    "math": parse_math,
    "scigen": lambda _arg, text: parse_scigen(text),
}


def parse_completion(parser: str, completion: str, stop: Sequence[str] = ()) -> Parsed:
    """Apply `parser` ("family:argument", e.g. "palm:cqa") to one completion."""
    family, _, argument = parser.partition(":")
    if family not in PARSERS:
        raise KeyError(f"unknown parser '{parser}'; known families: {sorted(PARSERS)}")
    return PARSERS[family](argument, cut_at_stop(completion, stop).lstrip())


def parse_all(template: Any, completions: Iterable[str]) -> tuple[list[Parsed], int]:
    """Parse every completion with `template.parse`; also return how many failed (ok == False)."""
    parsed = [template.parse(text) for text in completions]
    return parsed, sum(not p.ok for p in parsed)
