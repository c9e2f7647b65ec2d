"""Size the powered grids from the committed records: for each claim's pair of methods, the
discordance (share of test examples on which a seed of one and a seed of the other disagree) and
the seed-to-seed standard deviation seen so far, then the difference a grid of a given test size
and seed count can detect (distill_lib.stats, 5% two-sided, power 0.8), and the test size the
paper's own gap would need.

    python scripts/plan_power.py                 # every pair found under results/
    python scripts/plan_power.py --seeds 5 --examples 1000 9824

Deliberately left out: running anything, and choosing the grid (the configs say what was chosen,
docs/grids/ why).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
from collections import defaultdict
from pathlib import Path

import numpy as np

from distill_lib.stats import detectable_difference, examples_needed

# (paper, dataset, format of a, format of b, test-id prefix, method a, method b, the paper's gap in
# points, where it comes from); a math student is scored in its own thought, on SVAMP's questions
SVAMP = "svamp/"
PAIRS = [
    ("dss", "esnli", "label", "label", "", "standard_ft", "dss", 1.13, "T5-base, dss.yaml refs"),
    ("dss", "cqa", "label", "label", "", "standard_ft", "dss", 1.10, "T5-base, dss.yaml refs"),
    ("dss", "svamp", "label", "label", "", "standard_ft", "dss", 2.87, "T5-base, dss.yaml refs"),
    ("math", "math-reft", "cot", "pot", SVAMP, "cotd", "potd", None, "no number in the spec"),
    ("math", "math-reft", "cot", "eot", SVAMP, "cotd", "eotd", None, "no number in the spec"),
    ("math", "math-reft", "pot", "pot", SVAMP, "potd", "etd", None, "no number in the spec"),
    ("math", "math-reft", "eot", "eot", SVAMP, "eotd", "etd", None, "no number in the spec"),
    ("math", "math-reft", "cot", "cot", SVAMP, "cotd", "etd", None, "no number in the spec"),
]


def outcomes(
    root: Path, paper: str, dataset: str, method: str, fmt: str, prefix: str = ""
) -> dict[str, list]:
    """Per profile: the 0/1 test outcomes of each trained seed (full-data cells only), on the test
    ids that start with `prefix`."""
    found: dict[str, list] = defaultdict(list)
    for path in sorted(root.glob(f"{paper}/*/{dataset}/{method}/seed*.json")):
        if "frac" in path.name or "untrained" in path.name:
            continue
        examples = json.loads(path.read_text()).get("test_examples", {})
        correct = examples.get("correct", {})
        if fmt in correct:
            keep = [i.startswith(prefix) for i in examples["ids"]]
            bits = [c == "1" for c, k in zip(correct[fmt], keep, strict=True) if k]
            found[path.parts[-4]].append(np.array(bits, dtype=float))
    return found


def pair_statistics(a: list, b: list) -> tuple[float, float, int]:
    """(mean discordance over seed pairs, largest seed std of either side (0 with one seed), n)."""
    discordance = np.mean([np.mean(x != y) for x, y in itertools.product(a, b)])
    stds = [np.std([s.mean() for s in side], ddof=1) for side in (a, b) if len(side) > 1]
    return float(discordance), float(max(stds, default=0.0)), len(a[0])


def seeds_needed(gap: float, discordance: float, examples: int, seed_sd: float) -> int:
    """The fewest seeds a method for which `gap` (fraction) is detectable at this test size."""
    seeds = 1
    while detectable_difference(examples, discordance, seeds, seed_sd) > gap and seeds < 10_000:
        seeds += 1
    return seeds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default="results")
    parser.add_argument("--seeds", type=int, nargs="+", default=[3, 5])
    parser.add_argument("--examples", type=int, nargs="+", default=[200, 500, 1000, 2000])
    args = parser.parse_args()
    for paper, dataset, fmt_a, fmt_b, prefix, a_name, b_name, gap, source in PAIRS:
        a_runs = outcomes(Path(args.root), paper, dataset, a_name, fmt_a, prefix)
        b_runs = outcomes(Path(args.root), paper, dataset, b_name, fmt_b, prefix)
        pair = f"{dataset}{' ' + prefix.rstrip('/') if prefix else ''} {b_name} ({fmt_b}) vs "
        pair += f"{a_name} ({fmt_a})"
        if not set(a_runs) & set(b_runs):
            print(f"{paper} {pair}: no results folder holds both sides")
        for profile in sorted(set(a_runs) & set(b_runs)):
            disc, sd, n = pair_statistics(a_runs[profile], b_runs[profile])
            head = f"{paper}/{profile} {pair}"
            several = max(len(a_runs[profile]), len(b_runs[profile])) > 1
            spread = (
                f"{100 * sd:.1f} points" if several else "unknown (one seed a side: not counted)"
            )
            print(f"{head}: n {n}, discordance {disc:.3f}, seed sd {spread}")
            for seeds, examples in itertools.product(args.seeds, args.examples):
                d = 100 * detectable_difference(examples, disc, seeds, sd)
                print(f"    {seeds} seeds x {examples} examples: detects {d:.1f} points")
            if gap is not None:
                need = examples_needed(gap / 100, disc, max(args.seeds), sd)
                size = "unreachable (seed spread)" if math.isinf(need) else f"{need:,.0f}"
                print(f"    the paper's gap {gap} points ({source}) needs {size} examples")
                seeds = seeds_needed(gap / 100, disc, n, sd)
                print(f"    ... or {seeds} seeds a method at this test size ({n})")


if __name__ == "__main__":
    main()
