"""The paired statistics (distill_lib.stats) on cases whose answers are known by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from distill_lib.stats import (
    detectable_difference,
    detectable_for,
    examples_needed,
    holm,
    mcnemar_exact,
    paired_bootstrap,
    paired_corpus_bootstrap,
    verdict,
)


def _pair(only_a: int, only_b: int, both: int = 10) -> tuple[list[bool], list[bool]]:
    a = [True] * only_a + [False] * only_b + [True] * both
    b = [False] * only_a + [True] * only_b + [True] * both
    return a, b


@pytest.mark.parametrize(
    ("only_a", "only_b", "p"),
    # (1, 9): two-sided 2 * P(X <= 1), X ~ Binomial(10, 1/2) = 2 * 11 / 1024
    [(0, 5, 2 / 32), (1, 9, 2 * 11 / 1024), (3, 3, 1.0), (0, 0, 1.0)],
)
def test_mcnemar_exact_matches_the_binomial_by_hand(only_a: int, only_b: int, p: float) -> None:
    assert mcnemar_exact(*_pair(only_a, only_b)) == (only_a, only_b, pytest.approx(p))


def test_mcnemar_exact_matches_a_published_example() -> None:
    """Bentur et al. (2009), airway hyper-responsiveness in 21 children before and after stem cell
    transplantation, as tabulated by Fagerland, Lydersen and Laake, "The McNemar test for binary
    matched-pairs data: mid-p and asymptotic are better than exact conditional", BMC Medical
    Research Methodology 13:91 (2013), Table 1: 1 child with AHR before and after, 1 before only, 7
    after only, 12 neither. Their McNemar exact conditional test gives P = 0.070 (2 * P(X <= 1),
    X ~ Binomial(8, 1/2) = 18/256)."""
    before = [True, True] + [False] * 7 + [False] * 12
    after = [True, False] + [True] * 7 + [False] * 12
    only_before, only_after, p = mcnemar_exact(before, after)
    assert (only_before, only_after) == (1, 7)
    assert round(p, 3) == 0.070 and p == pytest.approx(18 / 256)


def _planted(n: int, seeds: int, gain: float, rng: np.random.Generator) -> tuple:
    base = rng.random((seeds, n)) < 0.5
    flip = rng.random((seeds, n)) < gain
    return base.astype(float), (base | flip).astype(float)


def test_bootstrap_ci_covers_a_planted_difference_and_excludes_zero() -> None:
    a, b = _planted(500, 3, 0.3, np.random.default_rng(1))
    result = paired_bootstrap(a, b, replicates=2000)
    assert result.low <= b.mean() - a.mean() <= result.high
    assert result.low > 0 and result.p < 0.01
    assert verdict(result) == "ahead"
    assert verdict(paired_bootstrap(b, a, replicates=2000)) == "behind"


def test_bootstrap_ci_covers_zero_when_nothing_differs() -> None:
    rng = np.random.default_rng(2)
    a = (rng.random((3, 400)) < 0.5).astype(float)
    b = (rng.random((3, 400)) < 0.5).astype(float)
    result = paired_bootstrap(a, b, replicates=2000)
    assert result.low < 0 < result.high
    assert verdict(result, detectable=7.04) == (
        "not resolved at this size (the grid can detect about 7.0 points)"
    )


def test_bootstrap_refuses_different_test_sets() -> None:
    with pytest.raises(ValueError, match="same test examples: 3 vs 4"):
        paired_bootstrap([[1, 0, 1]], [[1, 0, 1, 1]])


def test_holm_step_down_by_hand() -> None:
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])


def test_power_estimate_and_its_inverse() -> None:
    # z(0.975) + z(0.8) = 2.8016; SE of a paired difference with 20% discordance on 500 examples
    # is sqrt(0.2 / 500) = 0.02
    assert detectable_difference(500, 0.2) == pytest.approx(2.8016 * 0.02, rel=1e-4)
    gap = detectable_difference(500, 0.2, seeds=5, seed_sd=0.01)
    assert examples_needed(gap, 0.2, seeds=5, seed_sd=0.01) == pytest.approx(500)
    assert math.isinf(examples_needed(0.01, 0.2, seeds=3, seed_sd=0.05))


def test_detectable_for_reads_discordance_and_seed_spread_off_the_outcomes() -> None:
    # one seed a side, disagreeing on 2 of 10 examples: discordance 0.2, no seed spread
    a = [[1, 1, 0, 0, 1, 0, 1, 0, 1, 0]]
    b = [[1, 0, 1, 0, 1, 0, 1, 0, 1, 0]]
    assert detectable_for(a, b) == pytest.approx(detectable_difference(10, 0.2))
    # two seeds a side: a's accuracies 0.5 and 0.7 (variance 0.02), b's 0.6 and 0.6 (variance 0):
    # pooled seed sd sqrt(0.01) = 0.1
    a2 = [[1] * 5 + [0] * 5, [1] * 7 + [0] * 3]
    b2 = [[1] * 6 + [0] * 4, [1] * 6 + [0] * 4]
    # share right per example, a: 1 on 0-4, 0.5 on 5-6, 0 on 7-9; b: 1 on 0-5, 0 on 6-9; a seed of a
    # and a seed of b disagree on example 5 half the time and on example 6 half the time: 1.0 / 10
    expected = detectable_difference(10, 0.1, seeds=2, seed_sd=0.1)
    assert detectable_for(a2, b2) == pytest.approx(expected)


def _committed_correctness(pattern: str) -> tuple[np.ndarray, list[float], list[str]]:
    import json
    from pathlib import Path

    files = sorted(Path("results").glob(pattern))
    records = [json.loads(f.read_text()) for f in files]
    matrix = np.array(
        [[int(c) for c in r["test_examples"]["correct"]["label"]] for r in records], dtype=float
    )
    accuracy = [r["metrics"]["test_at_best"]["label"]["accuracy"] for r in records]
    return matrix * 100, accuracy, [r["test_examples"]["ids"] for r in records][0]


def test_a_paired_ci_recomputes_from_the_committed_predictions() -> None:
    """The three-seed CQA comparison of results/dss/cpu-long, from each record's stored per-example
    correctness: the point difference is the difference of the records' own accuracies."""
    a, acc_a, ids_a = _committed_correctness("dss/cpu-long/cqa/standard_ft/seed[0-9]-*.json")
    b, acc_b, ids_b = _committed_correctness("dss/cpu-long/cqa/dss/seed[0-9]-*.json")
    assert a.shape == b.shape == (3, 1221) and ids_a == ids_b
    result = paired_bootstrap(a, b, replicates=2000)
    assert result.difference == pytest.approx(np.mean(acc_b) - np.mean(acc_a))
    assert result.low < result.difference < result.high


def test_seeds_needed_is_the_fewest_seeds_that_detect_the_gap():
    from distill_lib.stats import detectable_difference, seeds_needed

    seeds = seeds_needed(0.011, 0.174, 1221, 0.033)
    assert detectable_difference(1221, 0.174, seeds, 0.033) <= 0.011
    assert detectable_difference(1221, 0.174, seeds - 1, 0.033) > 0.011
    assert seeds_needed(0.0001, 0.5, 10, 0.2) is None  # beyond any grid


def _bleu_corpus(seed: int, n: int = 40, noise: float = 0.3):
    """References and two systems' predictions: b copies more reference words than a."""
    import random

    rng = random.Random(seed)
    words = [f"w{i}" for i in range(30)]
    refs = [" ".join(rng.choice(words) for _ in range(rng.randint(6, 14))) for _ in range(n)]

    def system(keep: float) -> list[str]:
        return [
            " ".join(w if rng.random() < keep else rng.choice(words) for w in r.split())
            for r in refs
        ]

    return refs, system(noise), system(noise + 0.4)


def test_bleu_from_summed_example_stats_is_sacrebleus_corpus_bleu():
    import sacrebleu

    from distill_lib.metrics.text import bleu_example_stats, bleu_from_stats

    refs, a, _ = _bleu_corpus(0)
    a[3] = "zzz"  # a prediction with no match
    stats = np.array(bleu_example_stats(a, refs))
    assert bleu_from_stats([stats.sum(axis=0)])[0] == pytest.approx(
        sacrebleu.corpus_bleu(a, [refs]).score, abs=1e-9
    )
    subset = [1, 5, 5, 9]  # a resample: repeated examples count twice
    expected = sacrebleu.corpus_bleu([a[i] for i in subset], [[refs[i] for i in subset]]).score
    assert bleu_from_stats([stats[subset].sum(axis=0)])[0] == pytest.approx(expected, abs=1e-9)


def test_paired_corpus_bootstrap_finds_a_planted_bleu_gap_and_not_a_null_one():
    from distill_lib.metrics.text import bleu_example_stats, bleu_from_stats

    seeds_a, seeds_b = [], []
    for seed in range(3):  # the same test set (references) for every seed, other predictions
        refs, a, b = _bleu_corpus(seed=100, n=60, noise=0.2 + 0.02 * seed)
        seeds_a.append(np.array(bleu_example_stats(a, refs)))
        seeds_b.append(np.array(bleu_example_stats(b, refs)))
    result = paired_corpus_bootstrap(seeds_a, seeds_b, bleu_from_stats, replicates=500)
    observed = np.mean(bleu_from_stats([s.sum(axis=0) for s in seeds_b])) - np.mean(
        bleu_from_stats([s.sum(axis=0) for s in seeds_a])
    )
    assert result.difference == pytest.approx(observed)
    assert result.low > 0 and result.p < 0.01
    assert (result.seeds_a, result.seeds_b, result.examples) == (3, 3, 60)
    same = paired_corpus_bootstrap(seeds_a, seeds_a, bleu_from_stats, replicates=500)
    assert same.low <= 0 <= same.high and same.difference == 0


def test_paired_corpus_bootstrap_refuses_different_test_sets():
    with pytest.raises(ValueError, match="same examples"):
        paired_corpus_bootstrap([np.ones((5, 10))], [np.ones((6, 10))], lambda x: x[:, 0])


def test_a_replicate_that_ties_counts_in_both_tails():
    """p as a direct mean per replicate gives it: an exact tie summed in another order can come
    back as 1e-16 and fall into one tail only (seen on CQA's 1-vs-5-seed row)."""
    rng = np.random.default_rng(0)
    n, replicates = int(rng.integers(20, 60)), 400
    a = (rng.random((int(rng.integers(2, 6)), n)) < 0.3).astype(float)
    b = (rng.random((1, n)) < 0.3).astype(float)
    draw = np.random.default_rng(0)
    examples = draw.integers(0, n, (replicates, n))
    seeds_a = draw.integers(0, len(a), (replicates, len(a)))
    seeds_b = draw.integers(0, len(b), (replicates, len(b)))
    diffs = np.array(
        [
            b[np.ix_(sb, ex)].mean() - a[np.ix_(sa, ex)].mean()
            for ex, sa, sb in zip(examples, seeds_a, seeds_b, strict=True)
        ]
    )
    assert (diffs == 0).any()  # the case has ties
    expected = min(1.0, 2 * min((diffs <= 0).mean(), (diffs >= 0).mean()))
    assert paired_bootstrap(a, b, replicates=replicates).p == pytest.approx(expected, abs=1e-12)
