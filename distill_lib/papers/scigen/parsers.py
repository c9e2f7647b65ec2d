"""SciGen teacher completions (the scigen_reasoning template's parser): `Reasoning k: / Statement k:
/ Verification k:` line triples, keyed by their number; a triple counts only with a statement, and
is `verified` when its verification line says true (and not false). The `Description:` the worked
example puts before its triples is kept in `fields["description"]` (the text after the tag up to
the first triple line; '' when absent): the teacher's own one-shot description of the table.
`free_text_reasoning(text, max_words)` is the other reading of an answer, for a teacher too small to
follow the template (`method.options.reasoning: free_text`): the answer as written, with markdown
table rows and repeated sentences dropped, cut to `max_words` words. Nothing checks it.

Deliberately left out: joining triples per table (papers.scigen.splits).
"""

from __future__ import annotations

import re

from distill_lib.prompts.parsers import Parsed

TRIPLE_LINE = re.compile(
    r"^\s*(Reasoning|Statement|Verification)\s*(\d+)\s*:\s*(.*)$", re.IGNORECASE
)
DESCRIPTION_LINE = re.compile(r"^\s*Description\s*:\s*(.*)$", re.IGNORECASE)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
LIST_MARKER = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


def free_text_reasoning(text: str, max_words: int) -> str:
    """An answer's free text as reasoning: lines that are markdown table rows (they start with
    `|`) dropped, the unfinished sentence an answer cut at its token limit ends with, every
    sentence whose text (list marker, case and spacing aside) came earlier, then the words past
    `max_words`."""
    seen: set[str] = set()
    kept: list[str] = []
    text = text.rstrip()
    if text and text[-1] not in ".!?":
        text = text[: max(text.rfind(end) for end in ".!?\n") + 1]
    for line in text.splitlines():
        if line.lstrip().startswith("|"):
            continue
        for sentence in SENTENCE_END.split(LIST_MARKER.sub("", line)):
            key = " ".join(sentence.lower().split())
            if key and key not in seen:
                seen.add(key)
                kept.append(" ".join(sentence.split()))
    return " ".join(" ".join(kept).split()[:max_words])


def parse_description(text: str) -> str:
    """The text after the first `Description:` up to the first triple line, whitespace collapsed."""
    found, parts = False, []
    for line in text.splitlines():
        if TRIPLE_LINE.match(line):
            if found:
                break
            continue
        match = DESCRIPTION_LINE.match(line) if not found else None
        if match:
            found = True
            parts.append(match.group(1))
        elif found:
            parts.append(line)
    return " ".join(" ".join(parts).split())


def parse_triples(text: str) -> Parsed:
    """The triples in `fields["triples"]`; rationale / label are the first verified triple's
    reasoning and statement (else the first triple's)."""
    by_number: dict[int, dict[str, str]] = {}
    for line in text.splitlines():
        match = TRIPLE_LINE.match(line)
        if match:
            kind, number, value = (
                match.group(1).lower(),
                int(match.group(2)),
                match.group(3).strip(),
            )
            by_number.setdefault(number, {})[kind] = value
    triples = [
        {
            "reasoning": t.get("reasoning", ""),
            "statement": t["statement"],
            "verification": t.get("verification", ""),
            "verified": "true" in t.get("verification", "").lower()
            and "false" not in t.get("verification", "").lower(),
        }
        for _, t in sorted(by_number.items())
        if t.get("statement")
    ]
    first = next((t for t in triples if t["verified"]), triples[0] if triples else None)
    fields = {"triples": triples, "description": parse_description(text)}
    if first is None:
        return Parsed("", "", ok=False, fields=fields)
    return Parsed(first["reasoning"], first["statement"], ok=True, fields=fields)
