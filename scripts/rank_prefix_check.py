"""Choice ranking with and without a shared prefix (`eval.rank_shared_prefix`), on the real student:
the time of each, how often the two pick the same choice, and, as the yardstick for rounding, how
often the one-pass-per-choice ranking agrees with itself under another batch size.

    python scripts/rank_prefix_check.py [--datasets esnli cqa] [--limit 200] [--precision bf16]

The untrained SmolLM2-135M-Instruct of the dss `cpu-powered` profile ranks the first `--limit`
validation questions of each dataset, one torch thread, in the grid's prompt format. Prints one
line per dataset.

Deliberately left out: trained students (their run folders are not kept) and the test split.
"""

from __future__ import annotations

import argparse
import time

import torch

from distill_lib.config import load_config
from distill_lib.evaluate.choices import rank_choices
from distill_lib.models.loading import load_student
from distill_lib.papers.index import build_method, load_splits


def timed(call):
    started = time.time()
    value = call()
    return value, time.time() - started


def check(dataset: str, limit: int, precision: str) -> str:
    overrides = {"data.dataset": dataset, "method.name": "standard_ft"}
    cfg = load_config("configs/dss.yaml", "cpu-powered", overrides)
    records = list(load_splits(cfg)["valid"])[:limit]
    method, student = build_method(cfg.method), load_student(cfg.student)
    prompts = [method.prompt(r, method.formats[0]) for r in records]
    choices = [r["choices"] for r in records]
    args = (student, prompts, choices, cfg.student.max_input_tokens, cfg.student.max_target_tokens)
    full, full_s = timed(lambda: rank_choices(*args, precision, batch_size=32))
    other_batch = rank_choices(*args, precision, batch_size=7)
    shared, shared_s = timed(lambda: rank_choices(*args, precision, shared_prefix=True))
    gold = [r["choices"].index(r["label"]) for r in records]

    def agree(a: list[int], b: list[int]) -> str:
        return f"{sum(x == y for x, y in zip(a, b, strict=True))}/{len(a)}"

    def accuracy(picks: list[int]) -> str:
        return f"{100 * sum(p == g for p, g in zip(picks, gold, strict=True)) / len(gold):.1f}%"

    return (
        f"{dataset} ({len(records)} valid, {precision}): one pass per choice {full_s:.1f} s, "
        f"shared prefix {shared_s:.1f} s (x{full_s / shared_s:.2f}); picks agree: shared vs "
        f"per choice {agree(full, shared)}, per choice batch 32 vs 7 {agree(full, other_batch)}; "
        f"accuracy {accuracy(full)} vs {accuracy(shared)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["esnli", "cqa"])
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument("--precision", default="bf16", choices=["bf16", "fp32"])
    args = parser.parse_args()
    torch.set_num_threads(1)
    for dataset in args.datasets:
        print(check(dataset, args.limit, args.precision), flush=True)


if __name__ == "__main__":
    main()
