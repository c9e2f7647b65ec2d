"""Two sets of seed results compared in numbers and in one plain sentence, the same way for every
paper.

`mean_std_cell(values)` formats seed results as `mean ± std (n)`; `compare(a, b)` gives each side's
mean, seed standard deviation and n, the difference of means (b - a) and the standard error of that
difference. When one side has a single seed and the other several, that single seed is taken to vary
as the other side's seeds do (its std borrowed, and said so); with one seed on both sides there is
no standard error. `claim(what, a_name, b_name, c)` says who is ahead, by how much, and whether that
is larger than two standard errors of the difference or within them; with no spread at all (one seed
a side, or seeds that agree exactly) it says so. Numbers are rounded to one decimal.

Deliberately left out: significance tests beyond that rule of thumb (three seeds do not support
more).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


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


def _standard_error(a: list[float], b: list[float]) -> tuple[float | None, str | None]:
    """(standard error of mean(b) - mean(a), whose seed spread it rests on: 'both', or 'a' / 'b'
    when the other side has one seed and borrows that side's std; None without any spread)."""
    if min(len(a), len(b)) > 1:
        return math.sqrt(_std(a) ** 2 / len(a) + _std(b) ** 2 / len(b)), "both"
    if max(len(a), len(b)) > 1:
        many, side = (a, "a") if len(a) > 1 else (b, "b")
        return _std(many) * math.sqrt(1 / len(many) + 1), side
    return None, None


def compare(a: Sequence[float], b: Sequence[float]) -> dict[str, Any]:
    a, b = [float(v) for v in a], [float(v) for v in b]
    mean_a, mean_b = sum(a) / len(a), sum(b) / len(b)
    se, spread_from = _standard_error(a, b)
    stds = [s for s in (_std(a), _std(b)) if not math.isnan(s)]
    return {
        "a mean": mean_a,
        "a std": _std(a),
        "a n": len(a),
        "b mean": mean_b,
        "b std": _std(b),
        "b n": len(b),
        "difference": mean_b - mean_a,
        "se of difference": se,
        "se spread from": spread_from,
        "larger seed std": max(stds) if stds else None,
    }


def claim(what: str, a_name: str, b_name: str, c: dict[str, Any]) -> str:
    diff = c["difference"]
    means = f"({c['b mean']:.1f} vs {c['a mean']:.1f})"
    if round(abs(diff), 1) == 0:  # equal at the one decimal shown: no 'ahead by 0.0 points'
        head = f"{what}: {b_name} and {a_name} are level {means}"
    else:
        lead = f"{b_name} is {'ahead of' if diff > 0 else 'behind'} {a_name}"
        head = f"{what}: {lead} by {abs(diff):.1f} points {means}"
    se = c["se of difference"]
    if se is None or se != se:  # None, or NaN after a trip through a DataFrame
        return f"{head}; one seed on each side, so there is no seed spread to compare with."
    if se == 0:  # every seed scored the same: no spread to set the difference against
        return (
            f"{head}; the seeds agree exactly (std 0.0), so there is no seed spread to compare "
            "with."
        )
    verdict = "larger than" if abs(diff) >= 2 * se else "within"
    spread_from = c.get("se spread from")
    if spread_from in ("a", "b"):  # one side has a single seed: it borrowed the other's spread
        many, one = (a_name, b_name) if spread_from == "a" else (b_name, a_name)
        return (
            f"{head}, {verdict} two standard errors of the difference (one is {se:.1f}), taking "
            f"{one}'s single seed to vary as {many}'s {c[spread_from + ' n']} seeds do (std "
            f"{c[spread_from + ' std']:.1f})."
        )
    return (
        f"{head}, {verdict} two standard errors of the difference (one is {se:.1f}; seed std up to "
        f"{c['larger seed std']:.1f}, {c['a n']} and {c['b n']} seeds)."
    )
