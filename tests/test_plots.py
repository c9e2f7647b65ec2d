"""Figures draw the numbers they are given: bar heights, labels, n/a marks and notes are read back
from the matplotlib artists."""

import pandas as pd
import pytest

from distill_lib.plots.figures import curves, grouped_bars, training_curves, yield_bars


def bar_heights(fig) -> list[float]:
    return [
        round(patch.get_height(), 6)
        for patch in fig.axes[0].patches
        if patch.get_height() == patch.get_height()
    ]


def texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts] + [t.get_text() for t in fig.texts]


def test_yield_bars_show_percent_per_format_and_pool():
    yields = [
        {"pool": "math-reft", "format": "cot", "yield": 0.5},
        {"pool": "math-reft", "format": "pot", "yield": 0.25},
        {"pool": "math-gsm8k", "format": "cot", "yield": 1.0},
        {"pool": "math-gsm8k", "format": "pot", "yield": 0.0},
    ]
    fig = yield_bars(yields)
    # hue by hue (pools in order seen), formats cot, pot
    assert bar_heights(fig)[:4] == [50.0, 25.0, 100.0, 0.0]
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["cot", "pot"]
    assert "0.0" in texts(fig)  # a zero bar is labelled, so it is visible


def test_grouped_bars_average_seeds_mark_missing_pairs_and_carry_the_note():
    frame = pd.DataFrame(
        [
            {"dataset": "cqa", "method": "dss", "acc": 60.0},
            {"dataset": "cqa", "method": "dss", "acc": 70.0},
            {"dataset": "cqa", "method": "standard_ft", "acc": 40.0},
            {"dataset": "svamp", "method": "dss", "acc": 5.0},
        ]
    )
    fig = grouped_bars(
        frame,
        "dataset",
        "acc",
        "method",
        title="t",
        hue_order=["standard_ft", "dss"],
        x_order=["svamp", "cqa"],
        note="SMOKE",
    )
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["svamp", "cqa"]
    heights = bar_heights(fig)
    assert 65.0 in heights and 40.0 in heights and 5.0 in heights
    assert texts(fig).count("n/a") == 1  # standard_ft has no svamp cell
    assert "SMOKE" in texts(fig) and fig.axes[0].get_ylim() == (0.0, 100.0)


def test_a_skipped_pair_is_named_with_its_reason_under_the_figure():
    frame = pd.DataFrame(
        [
            {"dataset": "cqa", "method": "dss", "acc": 60.0},
            {"dataset": "anli1", "method": "standard_ft", "acc": 30.0},
        ]
    )
    reasons = {("anli1", "dss"): "ANLI-R1 train inputs need the hub (HF_HUB_OFFLINE is set)"}
    fig = grouped_bars(frame, "dataset", "acc", "method", title="t", reasons=reasons)
    assert texts(fig).count("n/a") == 2  # cqa/standard_ft has no reason: marked, not explained
    footnotes = [t for t in texts(fig) if t.startswith("n/a ")]
    assert footnotes == [
        "n/a anli1 / dss: ANLI-R1 train inputs need the hub (HF_HUB_OFFLINE is set)"
    ]


def test_curves_use_the_accuracy_axis_and_the_reference_line():
    frame = pd.DataFrame(
        [
            {"fraction": f, "acc": a, "method": m, "dataset": "cqa"}
            for f, a, m in [
                (25, 0.02, "dss"),
                (50, 0.04, "dss"),
                (25, 0.01, "ft"),
                (50, 0.03, "ft"),
            ]
        ]
    )
    fig = curves(frame, "fraction", "acc", "method", "dataset", reference={"cqa": 77.2})
    assert fig.axes[0].get_ylim() == (0.0, 100.0)  # not autoscaled to -0.04..0.04
    assert any(list(line.get_ydata()) == [77.2, 77.2] for line in fig.axes[0].lines)


def test_training_curves_mark_the_selected_step():
    history = pd.DataFrame(
        [
            {"step": 50, "valid": 40.0, "cell": "a", "selected": False},
            {"step": 100, "valid": 55.0, "cell": "a", "selected": True},
        ]
    )
    losses = pd.DataFrame(
        [{"step": 10, "loss": 2.0, "cell": "a"}, {"step": 100, "loss": 0.5, "cell": "a"}]
    )
    fig = training_curves(history, losses)
    stars = [c for c in fig.axes[1].collections if c.get_offsets().shape[0] == 1]
    assert any(tuple(c.get_offsets()[0]) == (100.0, 55.0) for c in stars)


@pytest.mark.parametrize("bad", [pd.DataFrame(columns=["step", "valid", "cell", "selected"])])
def test_training_curves_with_no_history(bad):
    assert training_curves(bad, pd.DataFrame()) is not None
