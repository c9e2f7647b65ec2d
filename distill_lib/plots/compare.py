"""Two sets of cells compared by the paired test on their shared test examples, in numbers and in
one plain sentence, the same way for every paper.

- `mean_std_cell(values)` formats seed results as `mean ± std (n)`.
- `folder_outcomes(experiment, profile)`: each committed record's per-example test outcomes
  (`test_examples`: `ids` and a '0'/'1' `correct` string per format), by record key;
  `cell_outcomes(cells, outcomes)` those of a frame's rows.
- `paired_test(a, b, fmt_a, fmt_b, id_prefix)`: the outcomes of side a's cells (one per seed) and
  side b's, each read in its format, paired on the test ids every cell shares (those starting with
  `id_prefix`, e.g. one benchmark), then `distill_lib.stats`: the paired bootstrap over examples and
  seeds (difference b - a in points, 95% CI, p) and the difference the grid can detect. Where a
  cell has no per-example outcomes, or the cells share no test id, the result says why instead.
- `paired_corpus_test(a, b, fmt_a, fmt_b, metric)`: the same for a corpus-level metric (BLEU) from
  the records' per-example statistics (`test_examples["stats"]`), through
  `stats.paired_corpus_bootstrap`.
- `claim(what, a_name, b_name, paired)` says it in one sentence: the difference, its CI, the p, the
  seeds and test size, and the verdict of `stats.verdict` ('ahead', 'behind', or not resolved at
  this size with the difference the grid can detect), noting a side with one seed (its seed spread
  is not in the CI).
- `paired_table(rows)`: the same numbers as a table (for the CSV files).

Deliberately left out: which cells form a side (the papers' reports and the claims ledger choose),
and any seed standard-error rule of thumb (the paired test replaces it).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from distill_lib.metrics.text import bleu_from_stats
from distill_lib.results import read_results
from distill_lib.stats import (
    PairedResult,
    detectable_for,
    pair_spread,
    paired_bootstrap,
    paired_corpus_bootstrap,
    verdict,
)

REPLICATES = 10_000
BOOTSTRAP_SEED = 0
Outcomes = Mapping[str, Any] | None  # a record's `test_examples` (ids, correct per format)


def _std(values: Sequence[float]) -> float:
    if len(values) < 2:
        return float("nan")
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def mean_std_cell(values: Sequence[float]) -> str:
    """`mean ± std (n)` of seed results, one decimal; `mean (1)` for one seed; 'n/a' for none."""
    values = [float(v) for v in values]
    if not values:
        return "n/a"
    std = _std(values)
    spread = "" if math.isnan(std) else f" ± {std:.1f}"
    return f"{sum(values) / len(values):.1f}{spread} ({len(values)})"


def folder_outcomes(experiment: str, profile: str) -> dict[str, Outcomes]:
    """Per-example test outcomes of every committed record of experiment/profile, by record key."""
    return {r["key"]: r.get("test_examples") for r in read_results(experiment, profile)}


def cell_outcomes(cells: pd.DataFrame, outcomes: Mapping[str, Outcomes]) -> list[Outcomes]:
    """Each cell's (frame row's) per-example outcomes, looked up by its record key; None where the
    frame has no key (a run folder) or the record keeps none."""
    keys = cells["key"] if "key" in cells else [None] * len(cells)
    return [outcomes.get(k) if isinstance(k, str) else None for k in keys]


@dataclass(frozen=True)
class Paired:
    """A paired comparison (points): both sides' mean accuracy on the shared ids, the bootstrap
    result and the detectable difference; or, with `reason`, why there is no test."""

    mean_a: float | None = None
    mean_b: float | None = None
    result: PairedResult | None = None
    detectable: float | None = None
    reason: str | None = None
    discordance: float | None = None  # share of test examples two seeds of the sides disagree on
    seed_sd: float | None = None  # seed spread (points), pooled over sides with several seeds

    @property
    def verdict(self) -> str | None:
        return None if self.result is None else verdict(self.result, self.detectable)


def _has_outcomes(outcomes: Outcomes, fmt: str) -> bool:
    return bool(outcomes) and isinstance(outcomes.get("correct", {}).get(fmt), str)


def shared_ids(outcomes: Sequence[Mapping[str, Any]], id_prefix: str = "") -> list[str]:
    """The test ids every cell holds (starting with id_prefix), in the first cell's order."""
    common = set.intersection(*(set(o["ids"]) for o in outcomes))
    return [i for i in outcomes[0]["ids"] if i.startswith(id_prefix) and i in common]


def outcome_matrix(outcomes: Sequence[Mapping[str, Any]], fmt: str, ids: list[str]) -> np.ndarray:
    """(cells, ids) of 0/1: each cell's correctness in `fmt` on `ids`, looked up by id."""
    rows = []
    for o in outcomes:
        where = {i: k for k, i in enumerate(o["ids"])}
        rows.append([o["correct"][fmt][where[i]] == "1" for i in ids])
    return np.array(rows, dtype=float)


def paired_test(
    a: Sequence[Outcomes], b: Sequence[Outcomes], fmt_a: str, fmt_b: str, id_prefix: str = ""
) -> Paired:
    """The paired bootstrap of b - a (points) on the test ids all cells share, or why not."""
    missing = sum(not _has_outcomes(o, fmt_a) for o in a)
    missing += sum(not _has_outcomes(o, fmt_b) for o in b)
    if missing:
        return Paired(
            reason=f"no per-example outcomes in {missing} of {len(a) + len(b)} cells (result "
            "records keep them; run folders and older records do not)"
        )
    ids = shared_ids([*a, *b], id_prefix)
    if not ids:
        return Paired(reason="the two sides share no test example")
    ma, mb = outcome_matrix(a, fmt_a, ids), outcome_matrix(b, fmt_b, ids)
    result = paired_bootstrap(100 * ma, 100 * mb, REPLICATES, BOOTSTRAP_SEED)
    detectable = 100 * detectable_for(ma, mb)
    discordance, seed_sd = pair_spread(ma, mb)
    return Paired(
        100 * ma.mean(), 100 * mb.mean(), result, detectable, None, discordance, 100 * seed_sd
    )


CORPUS_METRICS: dict[str, Callable[[Any], Sequence[float]]] = {"bleu": bleu_from_stats}


def _example_stats(outcomes: Outcomes, fmt: str, metric: str) -> list | None:
    stats = (outcomes or {}).get("stats", {}).get(fmt, {})
    return stats.get(metric) if isinstance(stats, dict) else None


def paired_corpus_test(
    a: Sequence[Outcomes], b: Sequence[Outcomes], fmt_a: str, fmt_b: str, metric: str
) -> Paired:
    """paired_test for a corpus-level metric (CORPUS_METRICS, e.g. BLEU) from the records'
    per-example statistics (`test_examples["stats"][fmt][metric]`), on the test ids all cells
    share; the detectable difference is the normal approximation from the bootstrap's spread
    (2.8 standard errors: 80% power, two-sided alpha 0.05)."""
    rows = [_example_stats(o, fmt_a, metric) for o in a] + [
        _example_stats(o, fmt_b, metric) for o in b
    ]
    if any(r is None for r in rows):
        missing = sum(r is None for r in rows)
        return Paired(
            reason=f"no per-example {metric} statistics in {missing} of {len(rows)} cells"
        )
    ids = shared_ids([*a, *b])
    if not ids:
        return Paired(reason="the two sides share no test example")

    def aligned(outcomes: Mapping[str, Any], fmt: str) -> np.ndarray:
        where = {i: k for k, i in enumerate(outcomes["ids"])}
        stats = _example_stats(outcomes, fmt, metric)
        return np.array([stats[where[i]] for i in ids], dtype=float)

    side_a, side_b = [aligned(o, fmt_a) for o in a], [aligned(o, fmt_b) for o in b]
    score = CORPUS_METRICS[metric]
    result = paired_corpus_bootstrap(side_a, side_b, score, REPLICATES, BOOTSTRAP_SEED)
    means = [float(np.mean(score([s.sum(axis=0) for s in side]))) for side in (side_a, side_b)]
    detectable = 2.8 * (result.high - result.low) / (2 * 1.96)
    return Paired(means[0], means[1], result, detectable)


def p_value(p: float) -> str:
    """'< 0.001', else p to three decimals."""
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def format_p(p: float) -> str:
    """'p < 0.001' or 'p = 0.123'."""
    text = p_value(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def claim(what: str, a_name: str, b_name: str, paired: Paired) -> str:
    """One sentence: b - a with its CI, p, seeds and n, and the verdict; or why there is none."""
    if paired.result is None:
        return f"{what}: {b_name} vs {a_name}: no paired test: {paired.reason}."
    r = paired.result
    head = (
        f"{what}: {b_name} − {a_name} = {r.difference:+.1f} points ({paired.mean_b:.1f} vs "
        f"{paired.mean_a:.1f}; 95% CI {r.low:+.1f} to {r.high:+.1f}, {format_p(r.p)}; "
        f"{r.seeds_b} vs {r.seeds_a} seeds on {r.examples:,} shared test examples)"
    )
    said = paired.verdict
    said = f"{b_name} is {said}" if said in ("ahead", "behind") else said
    single = (
        "; one seed on a side, whose seed spread the CI leaves out" if min_seeds(r) == 1 else ""
    )
    return f"{head}: {said}{single}."


def min_seeds(result: PairedResult) -> int:
    """The smaller side's seeds (1: that side's seed spread is not in the CI)."""
    return min(result.seeds_a, result.seeds_b)


def paired_table(rows: Sequence[tuple[str, Paired]], label: str = "comparison") -> pd.DataFrame:
    """One row per comparison: means, difference, CI, p, seeds, n, detectable, verdict or reason."""
    table = []
    for name, paired in rows:
        r = paired.result
        table.append(
            {
                label: name,
                "a mean": paired.mean_a,
                "b mean": paired.mean_b,
                "difference": None if r is None else r.difference,
                "ci low": None if r is None else r.low,
                "ci high": None if r is None else r.high,
                "p": None if r is None else r.p,
                "a seeds": None if r is None else r.seeds_a,
                "b seeds": None if r is None else r.seeds_b,
                "n": None if r is None else r.examples,
                "detectable": paired.detectable,
                "verdict": paired.verdict or paired.reason,
            }
        )
    return pd.DataFrame(table)
