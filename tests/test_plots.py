"""Figures draw the numbers they are given: bar heights are read back from the matplotlib artists."""

import pandas as pd
import pytest

from distill_lib.plots.figures import method_bars, yield_bars


def bar_heights(fig) -> list[float]:
    return [round(patch.get_height(), 6) for patch in fig.axes[0].patches]


def test_yield_bars_show_percent_per_format_and_pool():
    yields = [{"pool": "math-reft", "format": "cot", "yield": 0.5}, {"pool": "math-reft", "format": "pot", "yield": 0.25},
              {"pool": "math-gsm8k", "format": "cot", "yield": 1.0}, {"pool": "math-gsm8k", "format": "pot", "yield": 0.0}]
    fig = yield_bars(yields)
    # pandas plots one container per column (pool, sorted), bars in format order (cot, pot)
    assert bar_heights(fig) == [100.0, 0.0, 50.0, 25.0]
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["cot", "pot"]


def test_method_bars_average_seeds_and_ignore_other_fractions():
    frame = pd.DataFrame([
        {"dataset": "cqa", "method": "dss", "fraction": 1.0, "test_at_best": 60.0},
        {"dataset": "cqa", "method": "dss", "fraction": 1.0, "test_at_best": 70.0},
        {"dataset": "cqa", "method": "dss", "fraction": 0.5, "test_at_best": 10.0},
        {"dataset": "cqa", "method": "standard_ft", "fraction": 1.0, "test_at_best": 40.0},
    ])
    assert bar_heights(method_bars(frame)) == pytest.approx([65.0, 40.0])
