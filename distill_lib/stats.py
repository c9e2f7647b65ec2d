"""Paired statistics for two methods scored on the same test examples, the same way for every paper.

- `paired_bootstrap(a, b)`: per-example scores of two methods, shape (seeds, examples) each, on the
  same test ids in the same order. Each replicate resamples the test examples once (the same indices
  for both methods: the pairing) and each method's seeds on their own (seeds of two methods are
  different runs). Gives the difference of means (b - a, in the scores' unit), its percentile 95% CI
  and a two-sided bootstrap p. All replicates' indices are drawn up front, in this order: examples
  (replicates x examples), then a's seeds (replicates x seeds of a), then b's seeds. A side with a
  single seed adds no seed variation (its seed spread is unmeasured): the CI then understates the
  uncertainty, and callers say so.
- `paired_corpus_bootstrap(a, b, corpus_score)`: the same resampling for a corpus-level metric
  (BLEU: not a mean over examples), from per-seed, per-example additive statistics that
  `corpus_score` turns into a score per row of sums.
- `mcnemar_exact(a, b)`: the exact (binomial) McNemar test of one seed pair of 0/1 correctness
  (scipy.stats.binomtest on the discordant pairs).
- `holm(pvalues)`: Holm's step-down adjustment, for several claims tested at once (the family is
  what the caller passes, e.g. every row of a claims ledger).
- `detectable_difference(...)` / `examples_needed(...)`: a normal-approximation power estimate of a
  paired comparison: the smallest difference a grid of this size detects (two-sided alpha, power),
  and the test size a given gap would need. `detectable_for(a, b)` reads its inputs (discordance,
  seeds, seed spread) off two 0/1 outcome matrices.
- `verdict(result, detectable)`: 'ahead', 'behind' or 'not resolved at this size' from the CI.

Hand-written only where scipy has nothing that fits: scipy.stats.bootstrap resamples one level, not
examples shared by both sides with seeds drawn per side, and scipy has no Holm adjustment
(statsmodels, which has one, is not a dependency).

Deliberately left out: reading result records (the callers that build the arrays), and any rule of
thumb on seed standard errors.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
from scipy.stats import binomtest


@dataclass(frozen=True)
class PairedResult:
    """Difference of means (b - a) with its 95% CI and two-sided p, and the sizes it rests on."""

    difference: float
    low: float
    high: float
    p: float
    seeds_a: int
    seeds_b: int
    examples: int


def _as_matrix(scores: Sequence[Sequence[float]] | np.ndarray, name: str) -> np.ndarray:
    matrix = np.asarray(scores, dtype=float)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    if matrix.ndim != 2 or matrix.size == 0:
        raise ValueError(f"{name}: expected per-example scores shaped (seeds, examples)")
    return matrix


TIE = 1e-9  # a replicate's difference this close to 0 is a tie: its means are sums in another order


def _two_sided_p(diffs: np.ndarray) -> float:
    """Twice the smaller tail of the replicates' differences, a tie (within TIE of 0: the means
    are summed in another order than a direct mean, so an exact tie can come back as 1e-16) counted
    in both tails."""
    return float(min(1.0, 2 * min((diffs <= TIE).mean(), (diffs >= -TIE).mean())))


def _example_counts(examples: np.ndarray, n: int) -> np.ndarray:
    """(replicates, n): how often each test example is drawn in each replicate."""
    offsets = examples + n * np.arange(len(examples))[:, None]
    return np.bincount(offsets.ravel(), minlength=len(examples) * n).reshape(len(examples), n)


def _replicate_means(scores: np.ndarray, counts: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """Per replicate r: the mean of scores over the rows seeds[r] and the examples drawn in r
    (counts[r])."""
    per_seed = counts @ scores.T / counts.shape[1]  # (replicates, seeds)
    return np.take_along_axis(per_seed, seeds, axis=1).mean(axis=1)


def paired_bootstrap(
    a: Sequence[Sequence[float]] | np.ndarray,
    b: Sequence[Sequence[float]] | np.ndarray,
    replicates: int = 10_000,
    seed: int = 0,
) -> PairedResult:
    """Bootstrap of mean(b) - mean(a) over test examples (shared by both sides) and seeds (per
    side)."""
    a, b = _as_matrix(a, "a"), _as_matrix(b, "b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"a and b must score the same test examples: {a.shape[1]} vs {b.shape[1]} examples"
        )
    rng = np.random.default_rng(seed)
    n = a.shape[1]
    examples = rng.integers(0, n, (replicates, n))
    seeds_a = rng.integers(0, a.shape[0], (replicates, a.shape[0]))
    seeds_b = rng.integers(0, b.shape[0], (replicates, b.shape[0]))
    counts = _example_counts(examples, n)
    diffs = _replicate_means(b, counts, seeds_b) - _replicate_means(a, counts, seeds_a)
    low, high = np.percentile(diffs, [2.5, 97.5])
    p = _two_sided_p(diffs)
    return PairedResult(
        float(b.mean() - a.mean()), float(low), float(high), float(p), a.shape[0], b.shape[0], n
    )


def paired_corpus_bootstrap(
    a: Sequence[np.ndarray],
    b: Sequence[np.ndarray],
    corpus_score: Callable[[np.ndarray], Sequence[float]],
    replicates: int = 10_000,
    seed: int = 0,
) -> PairedResult:
    """paired_bootstrap for a corpus-level metric such as BLEU, which is not a mean over examples:
    each seed of a side gives per-example additive statistics (examples, k); a replicate draws the
    test examples once for both sides and each side's seeds on its own, sums each drawn seed's
    statistics over the drawn examples and scores the sums with `corpus_score` (rows of summed
    statistics -> scores). The difference is mean(b) - mean(a) of the seeds' corpus scores."""
    sides = [np.stack([np.asarray(s, dtype=float) for s in side]) for side in (a, b)]
    if any(side.ndim != 3 for side in sides) or sides[0].shape[1:] != sides[1].shape[1:]:
        shapes = [side.shape for side in sides]
        raise ValueError(
            f"a and b: per-seed statistics of the same examples expected, got {shapes}"
        )
    rng = np.random.default_rng(seed)
    n = sides[0].shape[1]
    counts = _example_counts(rng.integers(0, n, (replicates, n)), n)
    means = []
    for side in sides:
        drawn = rng.integers(0, len(side), (replicates, len(side)))
        scores = np.array([corpus_score(counts @ stats) for stats in side]).T  # (replicates, seeds)
        means.append(np.take_along_axis(scores, drawn, axis=1).mean(axis=1))
    diffs = means[1] - means[0]
    observed = [np.mean(corpus_score(side.sum(axis=1))) for side in sides]
    low, high = np.percentile(diffs, [2.5, 97.5])
    p = _two_sided_p(diffs)
    shape = (len(sides[0]), len(sides[1]), n)
    return PairedResult(float(observed[1] - observed[0]), float(low), float(high), float(p), *shape)


def mcnemar_exact(a: Sequence[bool], b: Sequence[bool]) -> tuple[int, int, float]:
    """(a right and b wrong, b right and a wrong, two-sided exact p) for one seed pair."""
    if len(a) != len(b):
        raise ValueError(f"a and b must score the same examples: {len(a)} vs {len(b)}")
    only_a = sum(1 for x, y in zip(a, b, strict=True) if x and not y)
    only_b = sum(1 for x, y in zip(a, b, strict=True) if y and not x)
    if only_a + only_b == 0:
        return 0, 0, 1.0
    p = binomtest(min(only_a, only_b), only_a + only_b, 0.5, alternative="two-sided").pvalue
    return only_a, only_b, min(1.0, float(p))


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values, in the order given (reject where adjusted p < alpha)."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


def _z_sum(alpha: float, power: float) -> float:
    normal = NormalDist()
    return normal.inv_cdf(1 - alpha / 2) + normal.inv_cdf(power)


def detectable_difference(
    examples: int,
    discordance: float,
    seeds: int = 1,
    seed_sd: float = 0.0,
    alpha: float = 0.05,
    power: float = 0.8,
) -> float:
    """Smallest difference of accuracies (as a fraction) detected with `power`: `discordance` is the
    share of test examples on which the two methods disagree, `seed_sd` the seed-to-seed standard
    deviation of one method's accuracy (fraction), `seeds` per method."""
    variance = discordance / (examples * seeds) + 2 * seed_sd**2 / seeds
    return _z_sum(alpha, power) * math.sqrt(variance)


def detectable_for(
    a: Sequence[Sequence[float]] | np.ndarray,
    b: Sequence[Sequence[float]] | np.ndarray,
    alpha: float = 0.05,
    power: float = 0.8,
) -> float:
    """`detectable_difference` (fraction) of two 0/1 outcome matrices (seeds, examples): the
    discordance averaged over every pair of a seed of a and a seed of b, the smaller side's seeds,
    and the seed spread pooled over the sides that have more than one seed (0 when neither has)."""
    discordance, seed_sd = pair_spread(a, b)
    seeds = min(_as_matrix(a, "a").shape[0], _as_matrix(b, "b").shape[0])
    examples = _as_matrix(a, "a").shape[1]
    return detectable_difference(examples, discordance, seeds, seed_sd, alpha, power)


def pair_spread(
    a: Sequence[Sequence[float]] | np.ndarray, b: Sequence[Sequence[float]] | np.ndarray
) -> tuple[float, float]:
    """(discordance averaged over every pair of a seed of a and a seed of b, seed spread pooled
    over the sides that have more than one seed, 0 when neither has) of two 0/1 outcome
    matrices."""
    a, b = _as_matrix(a, "a"), _as_matrix(b, "b")
    share_a, share_b = a.mean(axis=0), b.mean(axis=0)
    discordance = float(np.mean(share_a * (1 - share_b) + share_b * (1 - share_a)))
    variances = [m.mean(axis=1).var(ddof=1) for m in (a, b) if m.shape[0] > 1]
    return discordance, math.sqrt(sum(variances) / len(variances)) if variances else 0.0


def seeds_needed(
    gap: float,
    discordance: float,
    examples: int,
    seed_sd: float,
    alpha: float = 0.05,
    power: float = 0.8,
    most: int = 10_000,
) -> int | None:
    """The fewest seeds a method at which `gap` (fraction) is detectable on `examples` test
    examples; None when more than `most` would be needed."""
    variance = discordance / examples + 2 * seed_sd**2
    seeds = math.ceil(variance * (_z_sum(alpha, power) / gap) ** 2)
    return max(seeds, 1) if seeds <= most else None


def examples_needed(
    gap: float,
    discordance: float,
    seeds: int = 1,
    seed_sd: float = 0.0,
    alpha: float = 0.05,
    power: float = 0.8,
) -> float:
    """Test examples a paired comparison needs to detect `gap` (fraction); inf when the seed
    spread alone keeps the gap below detection at this many seeds."""
    room = (gap / _z_sum(alpha, power)) ** 2 - 2 * seed_sd**2 / seeds
    return math.inf if room <= 0 else discordance / (seeds * room)


def verdict(result: PairedResult, detectable: float | None = None) -> str:
    """'ahead' (CI above 0), 'behind' (below 0), else 'not resolved at this size', with the grid's
    detectable difference when given (same unit as the result)."""
    if result.low > 0:
        return "ahead"
    if result.high < 0:
        return "behind"
    if detectable is None:
        return "not resolved at this size"
    return f"not resolved at this size (the grid can detect about {detectable:.1f} points)"
