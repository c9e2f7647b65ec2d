"""Verification throughput: programs/s and systems/s on the pre-started pool vs one fresh process
per check.

The mix is built from the real GSM8K-train programs (teacher/gsm8k-train-pot-gemini-gpt41) and their
equation translations: mostly correct, plus wrong (answer + 1), erroring (division by zero / a
broken line) and looping (an endless loop / a solve too hard to finish) cases, in fixed proportions,
seeded. Writes runs/bench/verify.json and prints one summary line.

Usage: python benchmarks/bench_verify.py --n 2000 [--workers 2] [--timeout 5] [--loop-frac 0.001]
[--baseline-n 20] Deliberately left out: CoT extraction (pure regex, not a bottleneck).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import time
from importlib.metadata import version
from pathlib import Path

from distill_lib.papers.math.programs import clean_program, program_to_equations
from distill_lib.papers.math.teacher_data import load_gsm8k_train_programs
from distill_lib.verify.batch import VerifierPool

MIX = {"correct": 0.85, "wrong": 0.08, "error": 0.06}  # plus --loop-frac looping cases
LOOPS = {
    "program": "while True:\n    pass",
    "equations": "x**7 + 3*x**5*y - y**3 + z*x = 17\nx*y**4 + x**3*z = 5\nz**3*y + x = 2\nans = x",
}
BROKEN = {"program": "\nans = ans / 0", "equations": "\nbroken = 3 +"}


def build_mix(texts: list[str], kind: str, n: int, loop_frac: float, seed: int = 0) -> list[str]:
    """n checks drawn from `texts`, each turned into a correct, wrong, erroring or looping case.
    Every loop costs a full timeout of one worker, so loop_frac dominates the rate (1% at 5 s caps
    it near 40/s)."""
    rng = random.Random(seed)
    weights = {**MIX, "loop": loop_frac}
    cases = rng.choices(list(weights), weights=list(weights.values()), k=n)
    mix = []
    for case in cases:
        text = rng.choice(texts)
        if case == "wrong":
            text = text.rstrip() + " + 1"
        elif case == "error":
            text = text.rstrip() + BROKEN[kind]
        elif case == "loop":
            text = LOOPS[kind]
        mix.append(text)
    return mix


def measure(kind: str, texts: list[str], workers: int, timeout_s: float) -> dict:
    with VerifierPool(kind, workers=workers, timeout_s=timeout_s) as pool:
        start = time.perf_counter()
        results = pool.map(texts)
        seconds = time.perf_counter() - start
    statuses: dict[str, int] = {}
    for result in results:
        statuses[result.status] = statuses.get(result.status, 0) + 1
    return {
        "n": len(texts),
        "seconds": round(seconds, 2),
        "per_s": round(len(texts) / seconds, 1),
        "statuses": statuses,
    }


def measure_fresh(kind: str, texts: list[str], timeout_s: float) -> dict:
    """Baseline: a new worker process (interpreter start + imports) for every single check."""
    start = time.perf_counter()
    for text in texts:
        with VerifierPool(kind, workers=1, timeout_s=timeout_s) as pool:
            pool.run(text)
    seconds = time.perf_counter() - start
    return {"n": len(texts), "seconds": round(seconds, 2), "per_s": round(len(texts) / seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="checks per kind on the pool")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--loop-frac", type=float, default=0.001, help="share of endless cases")
    parser.add_argument(
        "--baseline-n", type=int, default=20, help="checks per kind for the fresh-process baseline"
    )
    parser.add_argument("--out", default="runs/bench/verify.json")
    args = parser.parse_args()

    raw = load_gsm8k_train_programs(clean=False)
    programs = [clean_program(p) for p in raw["rationale"]]
    systems = [s for s in (program_to_equations(p) for p in raw["rationale"]) if s]
    figures = {}
    for kind, texts in (("program", programs), ("equations", systems)):
        mix = build_mix(texts, kind, args.n, args.loop_frac)
        figures[kind] = {
            "pool": measure(kind, mix, args.workers, args.timeout),
            "fresh_process": measure_fresh(kind, mix[: args.baseline_n], args.timeout),
        }
    from distill_lib.models.precision import cpu_model

    record = {
        "benchmark": "verify",
        "args": vars(args),
        "mix": {**MIX, "loop": args.loop_frac},
        "figures": figures,
        "machine": {
            "cpu": cpu_model(),  # imported after the pools ran: the workers fork without torch
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "packages": {name: version(name) for name in ("sympy", "datasets")},
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2))
    p, e = figures["program"], figures["equations"]
    print(
        f"verify: programs {p['pool']['per_s']}/s (fresh process {p['fresh_process']['per_s']}/s), "
        f"systems {e['pool']['per_s']}/s (fresh process {e['fresh_process']['per_s']}/s), "
        f"n={args.n}, loops={args.loop_frac:.1%}, workers={args.workers} -> {out}"
    )


if __name__ == "__main__":
    main()
