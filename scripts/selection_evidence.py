"""The evidence behind `train.select: last`: in every committed trained cell whose validation picked
a step other than the last, test accuracy at the picked step against the last step, and a sign
test over those cells (scipy's exact binomial).

    python scripts/selection_evidence.py [results]

Deliberately left out: changing any record or config (the rule is chosen in configs/ and
docs/deviations.md).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from scipy.stats import binomtest


def picked_elsewhere(root: Path) -> list[tuple[str, int, int, float, float]]:
    """(record, best step, last step, test at best, test at last) of each such cell."""
    rows = []
    for path in sorted(root.rglob("*.json")):
        record = json.loads(path.read_text())
        metrics = record.get("metrics", {}) if isinstance(record, dict) else {}
        if "best_step" not in metrics or metrics.get("untrained") or not metrics["test_at_best"]:
            continue
        if metrics["best_step"] != metrics["last_step"]:
            best, last = metrics["test_at_best"]["primary"], metrics["test_at_last"]["primary"]
            rows.append((str(path), metrics["best_step"], metrics["last_step"], best, last))
    return rows


if __name__ == "__main__":
    rows = picked_elsewhere(Path(sys.argv[1] if len(sys.argv) > 1 else "results"))
    for name, best_step, last_step, best, last in rows:
        print(f"{name}: step {best_step} vs {last_step}: test {best:.1f} vs {last:.1f}")
    lower = sum(best < last for *_, best, last in rows)
    higher = sum(best > last for *_, best, last in rows)
    p = binomtest(lower, lower + higher, 0.5).pvalue if lower + higher else 1.0
    print(
        f"{len(rows)} cells picked another step: lower at the pick {lower}, higher {higher}, "
        f"sign test p = {p:.3f}"
    )
