"""Train / test contamination: which training questions also appear in a benchmark, by normalised
text.

Normalisation (`normalise_text`): Unicode NFKC, lower-case, every run of characters that are not
letters or digits becomes one space, then stripped. So "Janet’s ducks lay 16 eggs." and "janet s
ducks lay 16 eggs" are the same question; "16" and "16.0" are not (numbers are compared as written).

`overlapping(train_texts, benchmark_texts)` gives the indices of the training texts whose normalised
form is a benchmark's normalised text.

Deliberately left out: near-duplicate detection (n-gram or embedding similarity): only exact matches
after normalisation are found, and a paraphrased benchmark question is not.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

_NOT_WORD = re.compile(r"[^0-9a-z]+")


def normalise_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(c if c.isalnum() and c.isascii() else " " for c in text)
    return _NOT_WORD.sub(" ", text).strip()


def overlapping(train_texts: Sequence[str], benchmark_texts: Iterable[str]) -> list[int]:
    """Indices of `train_texts` whose normalised text is also a normalised benchmark text."""
    benchmark = {normalise_text(t) for t in benchmark_texts}
    benchmark.discard("")
    return [i for i, text in enumerate(train_texts) if normalise_text(text) in benchmark]
