"""The claims of the math distillation paper (EoTD / ETD) that the claims ledger
(distill_lib.plots.ledger) tests.

`claims()` lists, per benchmark (SVAMP, then GSM8K): PoTD beats CoTD, EoTD beats CoTD, and ETD beats
each single-thought student on that student's own thought (programs, equations, chain-of-thought).
Each side is scored in its thought on the benchmark's test questions (ids `<benchmark>/<id>`). The
paper's per-method numbers are not available here (../shared/papers/eotd.md, section 1), so the
paper column gives the claim's source, not a number. `PROFILES` is the order in which results
folders are read, the best-powered first: edit it (or a claim's `profiles`) when a new grid lands.

Deliberately left out: testing (the ledger does it) and numbers of ours.
"""

from __future__ import annotations

from distill_lib.papers.math.results import NAMES, PAIRS
from distill_lib.plots.ledger import Claim, Side

# best-powered first: cpu-long has the larger test sets and the longer budget of the two CPU grids
PROFILES = ("cpu-powered", "cpu-long", "cpu")
BENCHMARKS = ("svamp", "gsm8k")
NO_NUMBERS = "no number: the paper's tables are [unknown] here (eotd.md section 1)"
SOURCES = {  # by the claimed winner
    "potd": "the paper compares CoTD / PoTD / EoTD / ETD students (eotd.md section 1)",
    "eotd": (
        "Fig. 1 [paper]: the EoTD student solves what CoTD and PoTD students fail; abstract: EoTD "
        "significantly improves SLM reasoning"
    ),
    "etd": "abstract [paper]: ETD brings SLMs to state-of-the-art reasoning",
}
FLOOR = "floor: read the means against the untrained student's"
LABELS = {"cotd": "CoTD", "potd": "PoTD", "eotd": "EoTD", "etd": "ETD"}


def _claim(bench: str, base: tuple[str, str], other: tuple[str, str]) -> Claim:
    (method_a, thought_a), (method_b, thought_b) = base, other
    return Claim(
        paper="math",
        claim=(
            f"{LABELS[method_b]} ({thought_b}) beats {LABELS[method_a]} ({thought_a}) "
            f"({NAMES[bench]})"
        ),
        paper_says=f"{SOURCES[method_b]}; {NO_NUMBERS}",
        base=Side(method_a, fmt=thought_a, id_prefix=f"{bench}/"),
        other=Side(method_b, fmt=thought_b, id_prefix=f"{bench}/"),
        profiles=PROFILES,
        note=FLOOR if bench == "gsm8k" else "",
    )


def claims() -> list[Claim]:
    """The math rows of the ledger: every pair of the report's comparisons, per benchmark."""
    return [_claim(bench, a, b) for bench in BENCHMARKS for _, a, b in PAIRS]
