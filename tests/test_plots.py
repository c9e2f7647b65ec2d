"""Figures draw the numbers they are given: bar heights, labels, n/a marks, notes, seeds, paper
marks and sidecars are read back from the matplotlib artists and files."""

import hashlib

import pandas as pd
import pytest

from distill_lib.plots.figures import curves, grouped_bars, yield_bars
from distill_lib.plots.layout import figure_texts, read_sidecar, save
from distill_lib.plots.panels import accuracy_rows, training_curves


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


def _cells(points: int) -> pd.DataFrame:
    """Two methods on one dataset, three seeds of the first, `points` validations per run."""
    rows = []
    for method, seeds in (("dss", 3), ("standard_ft", 1)):
        for seed in range(seeds):
            steps = [100 * (k + 1) // points for k in range(points)]
            rows.append(
                {
                    "dataset": "cqa",
                    "method": method,
                    "seed": seed,
                    "best_step": steps[-1],
                    "history": [{"step": s, "valid": 40.0 + s / 10 + seed} for s in steps],
                    "losses": [{"step": s, "loss": 2.0 - s / 100} for s in (10, 50, 100)],
                }
            )
    return pd.DataFrame(rows)


def test_training_curves_draw_seeds_thin_around_a_bold_mean_with_the_legend_outside():
    fig = training_curves(_cells(2), names={"cqa": "CQA"}, hue_order=["standard_ft", "dss"])
    loss_ax, valid_ax = fig.axes[0], fig.axes[1]
    widths = sorted(line.get_linewidth() for line in loss_ax.lines)
    assert widths.count(2.0) == 2 and len(widths) == 2 + 4  # a bold mean per method, 4 seeds
    stars = valid_ax.collections[-1].get_offsets()
    assert sorted(map(tuple, stars.tolist())) == [
        (100.0, 50.0),
        (100.0, 50.0),
        (100.0, 51.0),
        (100.0, 52.0),
    ]
    assert loss_ax.get_title() == "CQA" and valid_ax.get_ylim() == (0.0, 100.0)
    assert all(ax.get_legend() is None for ax in fig.axes) and len(fig.legends) == 1
    assert "tested step (selected on validation)" in figure_texts(fig)


def test_one_validation_per_run_leaves_the_validation_row_out_and_says_so():
    fig = training_curves(_cells(1), title="t")
    assert len(fig.axes) == 1
    assert "validation ran once per run" in fig.get_suptitle()


def test_training_curves_with_no_history():
    empty = pd.DataFrame(columns=["dataset", "method", "seed", "best_step", "history", "losses"])
    assert training_curves(empty) is not None


def test_bars_show_the_paper_marks_the_untrained_floor_and_readable_ticks():
    frame = pd.DataFrame(
        [
            {"dataset": "cqa", "method": "dss", "acc": 30.0},
            {"dataset": "cqa", "method": "ft", "acc": 20.0},
        ]
    )
    fig = grouped_bars(
        frame, "dataset", "acc", "method", marks={("cqa", "dss"): 63.3}, floor={"cqa": 0.0},
        x_labels={"cqa": "CQA\n500 test"}, legend_names={"marks": "paper", "floor": "untrained"},
    )  # fmt: skip
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["CQA\n500 test"]
    assert any(list(line.get_ydata()) == [63.3] for line in ax.lines)  # the paper's tick
    floor = [c for c in ax.collections if c.get_linewidth()[0] == 3]
    assert floor and floor[0].get_clip_on() is False  # drawn over the axis, so a 0.0 floor shows
    assert {"paper", "untrained", "dss", "ft"} <= set(figure_texts(fig))


def test_accuracy_rows_fit_the_axis_to_the_data_and_point_at_off_axis_references():
    results = pd.DataFrame(
        [
            {
                "method": "potd",
                "thought": "pot",
                "benchmark": "gsm8k",
                "seed": s,
                "accuracy": a,
                "n": 100,
            }
            for s, a in enumerate((3.0, 4.0, 5.0))
        ]
    )
    refs = [{"who": "authors' checkpoint", "benchmark": "gsm8k", "reference": 44.9}]
    fig = accuracy_rows(
        results, [("potd", "pot")], ["gsm8k"], names={"potd": "PoTD"}, references=refs
    )
    ax = fig.axes[0]
    assert ax.get_xlim()[1] == 10.0  # not 0-100: the students sit near 5%
    assert "44.9 →" in texts(fig) and "4.0 (3)" in texts(fig)
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "PoTD · pot",
        "ref: authors' checkpoint",
    ]


def test_save_writes_the_png_and_a_sidecar_of_the_plotted_data(tmp_path):
    frame = pd.DataFrame([{"dataset": "cqa", "method": "dss", "acc": 1 / 3}])
    path = save(grouped_bars(frame, "dataset", "acc", "method", title="T"), tmp_path / "f.png")
    side = read_sidecar(path)
    assert side["data"]["bars"] == [{"dataset": "cqa", "method": "dss", "acc": 0.3333}]
    assert side["texts"][0] == "T" and "dss" in side["texts"]
    assert side["png_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_metric_bars_zoom_to_small_scores_and_say_so():
    from distill_lib.plots.figures import metric_bars

    table = pd.DataFrame({"test BLEU": [1.0, 3.0]}, index=["untrained", "fine-tuned"])
    assert metric_bars(table).axes[0].get_ylim() == (0.0, 100.0)
    zoomed = metric_bars(table, zoom=True).axes[0]
    assert zoomed.get_ylim() == pytest.approx((0.0, 3.9)) and "zoomed" in zoomed.get_ylabel()
