"""Why a multiple-choice dataset sits near chance: for every committed CQA (or e-SNLI) cell, the
generated answer's accuracy beside what the answers are: the share that is one of the question's
choices at all, the share taken by the most common answer, and (records with `eval.rank_choices`)
the accuracy of ranking the choices by log-likelihood. Then, per grid with an untrained cell,
whether training lifts the ranking off the untrained student's: each method's trained seeds against
it, a paired bootstrap on the test examples both hold (`plots.compare.paired_test`, the ledger's).

    python scripts/choice_floor.py [--dataset cqa] [results]

Reads the test questions' choices from the shared data (`distill_lib.papers.dss` loaders), the
predictions from each record's `test_examples`. Deliberately left out: any change to a record.
"""

from __future__ import annotations

import argparse
import collections
from pathlib import Path

from distill_lib.config import load_config
from distill_lib.evaluate.choices import CHOICE_KEY
from distill_lib.papers.index import load_splits
from distill_lib.plots.compare import paired_test
from distill_lib.results import read_results


def choices_by_id(dataset: str) -> dict[str, list[str]]:
    cfg = load_config(
        "configs/dss.yaml", "cpu", {"data.dataset": dataset, "data.test_limit": 1_000_000}
    )
    test = load_splits(cfg)["test"]
    return {str(r["id"]): [str(c).strip().lower() for c in r.get("choices") or []] for r in test}


def describe(record: dict, choices: dict[str, list[str]]) -> str | None:
    examples, metrics = record.get("test_examples") or {}, record["metrics"]
    kept = examples.get("predictions")
    predictions = kept.get("label") if isinstance(kept, dict) else None
    if not isinstance(predictions, list):
        return None
    answers = [p.strip().lower() for p in predictions]
    in_choices = sum(a in choices.get(i, []) for i, a in zip(examples["ids"], answers, strict=True))
    top, count = collections.Counter(answers).most_common(1)[0]
    ranked = (metrics.get("test_at_best") or {}).get(CHOICE_KEY, {}).get("accuracy")
    step = "untrained" if metrics.get("untrained") else f"{metrics['last_step']} steps"
    return (
        f"{record['key']} ({step}): generated {metrics['test_at_best']['label']['accuracy']:.1f}%, "
        f"a choice {100 * in_choices / len(answers):.0f}%, most common answer '{top}' "
        f"{100 * count / len(answers):.0f}%, choice log-likelihood "
        + ("not scored" if ranked is None else f"{ranked:.1f}%")
    )


def lift_over_untrained(records: list[dict], dataset: str) -> list[str]:
    """Per method: its trained seeds' ranking accuracy against the untrained cell's, paired."""
    cells = [r for r in records if r["metrics"].get("dataset") == dataset]
    untrained = [r["test_examples"] for r in cells if r["metrics"].get("untrained")]
    methods = sorted({r["metrics"]["method"] for r in cells if not r["metrics"].get("untrained")})
    lines = []
    for method in methods if untrained else []:
        trained = [
            r["test_examples"]
            for r in cells
            if r["metrics"]["method"] == method
            and not r["metrics"].get("untrained")
            and r["metrics"].get("fraction", 1.0) == 1.0
        ]
        test = paired_test(untrained, trained, CHOICE_KEY, CHOICE_KEY)
        if test.result is None:
            lines.append(f"  {method}: {test.reason}")
            continue
        r = test.result
        lines.append(
            f"  {method} ({r.seeds_b} seeds) vs untrained, choice log-likelihood: "
            f"{test.mean_b:.1f} vs {test.mean_a:.1f}%, {r.difference:+.1f} "
            f"[{r.low:+.1f}, {r.high:+.1f}], p {r.p:.3f}, n {r.examples}"
        )
    return lines


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="cqa")
    p.add_argument("root", nargs="?", default="results")
    args = p.parse_args()
    choices = choices_by_id(args.dataset)
    for folder in sorted(Path(args.root, "dss").iterdir()):
        records = read_results("dss", folder.name)
        for record in records:
            if record["metrics"].get("dataset") == args.dataset:
                line = describe(record, choices)
                print(line or f"{record['key']}: no predictions kept")
        lift = lift_over_untrained(records, args.dataset)
        if lift:
            print(f"{folder.name}: does training lift the ranking off the untrained student's?")
            print("\n".join(lift))


if __name__ == "__main__":
    main()
