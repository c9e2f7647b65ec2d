"""Math teacher completions (the math templates' parser): the rationale is the text itself (steps,
program or equations, cut before any next "Question:"); the label stays '' because answers are
verified elsewhere (distill_lib.verify). `ok` only says the text has the format's expected ending.

Deliberately left out: verification (papers.math.stage, distill_lib.verify).
"""

from __future__ import annotations

import re

from distill_lib.prompts.parsers import Parsed

ENDINGS = {
    "cot": re.compile(r"answer is", re.IGNORECASE),
    "pot": re.compile(r"^\s*ans\s*=", re.MULTILINE),
    "eot": re.compile(r"^\s*ans\s*=", re.MULTILINE),
}


def parse_thought(kind: str, text: str) -> Parsed:
    if kind not in ENDINGS:
        raise KeyError(f"no math parser '{kind}'; known: {sorted(ENDINGS)}")
    rationale = re.split(r"\n\s*Question:", text)[0].strip()
    return Parsed(rationale, "", ok=bool(ENDINGS[kind].search(rationale)))
