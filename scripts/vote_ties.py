"""How much the ETD vote* row depends on its tie-break: for each committed ETD record, the test
examples whose formats' answers tie (no strict majority among differing answers), and the vote's
accuracy under each of the six format orders (the stated rule is math.report.PRIORITY).

    python scripts/vote_ties.py [results/math]

Deliberately left out: changing any record (it reads the stored per-example answers only).
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

from distill_lib.papers.math.report import PRIORITY, answers_match


def vote(answers: list[float | None]) -> float | None:
    """The stated vote rule over answers already in tie-break order."""
    candidates = [a for a in answers if a is not None]
    if not candidates:
        return None
    counts = [sum(answers_match(other, value) for other in candidates) for value in candidates]
    return candidates[counts.index(max(counts))]


def tied(answers: list[float | None]) -> bool:
    candidates = [a for a in answers if a is not None]
    counts = [sum(answers_match(other, value) for other in candidates) for value in candidates]
    differing = any(not answers_match(a, candidates[0]) for a in candidates)
    return bool(candidates) and differing and counts.count(max(counts)) > 1


def report(path: Path) -> str:
    examples = json.loads(path.read_text())["test_examples"]
    answers, labels = examples["answers"], examples["labels"]
    formats = [f for f in PRIORITY if f in answers]
    rows = [[answers[f][i] for f in formats] for i in range(len(labels))]
    ties = sum(tied(row) for row in rows)
    scores = {}
    for order in itertools.permutations(range(len(formats))):
        hits = sum(
            answers_match(vote([row[k] for k in order]), float(gold))
            for row, gold in zip(rows, labels, strict=True)
        )
        scores[">".join(formats[k] for k in order)] = round(100 * hits / len(labels), 1)
    return f"{path}: n {len(labels)}, tied {ties}, vote accuracy by order {scores}"


if __name__ == "__main__":
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "results/math")
    for record in sorted(root.glob("*/*/etd/*.json")):
        if "untrained" not in record.name:
            print(report(record))
