"""Math training pools against the test benchmarks: which pool questions are benchmark questions,
removed.

`decontaminate(questions, removal_benchmarks, data_dir)` checks the pool against every benchmark
(GSM8K test, SVAMP, ASDiv, MultiArith) by normalised text (distill_lib.data.overlap: NFKC,
lower-case, every run of non-alphanumerics one space) and returns the questions to remove, those
that match a benchmark the experiment tests on (`extra.eval_datasets`), with a report per benchmark:
its size, how many of its questions are in the pool, how many pool questions match it, and whether
they were removed. The benchmark keeps all its questions, so its numbers stay comparable with
published ones.

Deliberately left out: near-duplicates (paraphrases, changed numbers) and overlap between
benchmarks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from distill_lib.data.overlap import overlapping
from distill_lib.data.records import DataUnavailable
from distill_lib.papers.math.data import load_math_benchmark
from distill_lib.papers.math.options import BENCHMARKS

NORMALISATION = "NFKC, lower-case, every run of non-alphanumeric characters -> one space, stripped"


def decontaminate(
    questions: Sequence[str], removal_benchmarks: Sequence[str], data_dir: str | None
) -> tuple[set[str], dict[str, Any]]:
    """(pool question texts to remove, the report) for the distinct pool `questions`."""
    unique = list(dict.fromkeys(questions))
    removed: set[str] = set()
    report: dict[str, Any] = {
        "normalisation": NORMALISATION,
        "pool_questions_before": len(unique),
        "benchmarks": {},
    }
    for name in BENCHMARKS:
        try:
            benchmark = list(load_math_benchmark(name, None, data_dir)["input"])
        except DataUnavailable as err:
            report["benchmarks"][name] = {"checked": False, "reason": str(err)[:300]}
            continue
        in_pool = overlapping(unique, benchmark)
        report["benchmarks"][name] = {
            "checked": True,
            "benchmark_questions": len(benchmark),
            "benchmark_questions_in_pool": len(overlapping(benchmark, unique)),
            "pool_questions_matching": len(in_pool),
            "removed": name in removal_benchmarks,
        }
        if name in removal_benchmarks:
            removed.update(unique[i] for i in in_pool)
    report["pool_questions_removed"] = len(removed)
    report["pool_questions_after"] = len(unique) - len(removed)
    return removed, report
