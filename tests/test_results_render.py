"""Committed results render into tables, sentences and the README; mixed configurations are
refused.
"""

from __future__ import annotations

import pandas as pd
import pytest

from distill_lib.config import load_config
from distill_lib.papers.dss.report import claim_sentences, dss_table, dss_vs_standard
from distill_lib.plots.records import MixedConfigurations, results_frame
from distill_lib.render import render_all, replace_block
from distill_lib.results import write_result

ACCURACY = {
    ("esnli", "standard_ft"): [60.0, 62.0, 64.0],
    ("esnli", "dss"): [70.0, 71.0, 72.0],
    ("cqa", "standard_ft"): [40.0],
    ("cqa", "dss"): [41.0],
}


def _metrics(cfg, accuracy: float) -> dict:
    return {
        "dataset": cfg.data.dataset,
        "method": cfg.method.name,
        "label_source": cfg.method.label_source,
        "seed": cfg.train.seed,
        "fraction": cfg.data.train_fraction,
        "untrained": cfg.train.max_steps == 0,
        "student": cfg.student.name,
        "n_test": 100,
        "test_at_best": {"primary": accuracy},
        "test_at_last": {"primary": accuracy - 1},
    }


@pytest.fixture
def results(tmp_path, monkeypatch):
    monkeypatch.setenv("DISTILL_RESULTS_ROOT", str(tmp_path / "results"))
    monkeypatch.setenv("DISTILL_FIGURES_ROOT", str(tmp_path / "figures"))
    base = load_config("configs/dss.yaml", "cpu")
    for (dataset, method), values in ACCURACY.items():
        for seed, accuracy in enumerate(values):
            cell = base.replace(
                {"data.dataset": dataset, "method.name": method, "train.seed": seed}
            )
            write_result(cell, _metrics(cell, accuracy), "bf16")
    untrained = base.replace(
        {"data.dataset": "esnli", "train.max_steps": 0, "eval.max_new_tokens": 32}
    )
    write_result(untrained, _metrics(untrained, 0.0), "bf16")
    return base


def test_table_shows_mean_std_n_and_labelled_references(results):
    table = dss_table(results_frame("dss", "cpu"))
    esnli = "e-SNLI (n=100)"
    assert table.loc["ours: standard_ft", esnli] == "62.0 ± 2.0 (3)"
    assert table.loc["ours: dss", esnli] == "71.0 ± 1.0 (3)"
    assert table.loc["untrained (step 0)", esnli] == "0.0 (1)"
    assert table.loc["ours: dss", "CQA (n=100)"] == "41.0 (1)"
    assert table.loc["paper, T5-Base 220M: dss", esnli] == "89.5"
    assert list(table.index)[0] == "untrained (step 0)"


def test_sentences_come_from_the_numbers(results):
    comparison = dss_vs_standard(results_frame("dss", "cpu"))
    esnli, cqa = claim_sentences(comparison)
    assert esnli.startswith("e-SNLI: dss is ahead of standard_ft by 9.0 points (71.0 vs 62.0)")
    assert "larger than two standard errors" in esnli  # se = sqrt(4/3 + 1/3) = 1.29
    assert "one seed on each side, so there is no seed spread" in cqa


def test_mixed_configurations_are_refused(results):
    other = results.replace(
        {"data.dataset": "cqa", "method.name": "dss", "train.seed": 5, "train.lr": 3e-4}
    )
    write_result(other, _metrics(other, 50.0), "bf16")
    with pytest.raises(MixedConfigurations, match=r"train\.lr"):
        results_frame("dss", "cpu")


def test_readme_block_is_generated_and_checked(results, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- results:dss/cpu -->\nold\n<!-- /results:dss/cpu -->\nend\n")
    assert render_all(readme, check=True) == [str(readme)]  # stale
    render_all(readme)
    text = readme.read_text()
    assert "62.0 ± 2.0 (3)" in text and "old" not in text and text.endswith("end\n")
    assert (tmp_path / "figures" / "dss" / "cpu" / "method_by_dataset.png").stat().st_size > 1000
    numeric = pd.read_csv(tmp_path / "figures" / "dss" / "cpu" / "dss_results_numeric.csv")
    row = numeric[(numeric["method"] == "standard_ft") & (numeric["dataset"] == "esnli")].iloc[0]
    assert (row["mean"], row["std"], row["n"]) == (62.0, 2.0, 3)  # numbers, not "62.0 ± 2.0 (3)"
    assert render_all(readme, check=True) == []
    readme.write_text(text + "<!-- results:dss/gone -->\n| 99.0 |\n<!-- /results:dss/gone -->\n")
    assert render_all(readme, check=True) == [str(readme)]  # its records were removed
    render_all(readme)
    assert "No records in `results/dss/gone/` yet" in readme.read_text()
    assert "99.0" not in readme.read_text()
    with pytest.raises(ValueError, match="no block for results/dss/cpu"):
        replace_block("no markers", "dss/cpu", "x")


def test_the_fraction_curve_is_a_table_in_the_readme_block(results, tmp_path):
    """Cells of one method at several training-set fractions add a curve table under the main one;
    the main table keeps only the full training set."""
    for method, fraction, accuracy in (("dss", 0.5, 65.0), ("dss", 0.25, 55.0)):
        cell = results.replace(
            {"data.dataset": "esnli", "method.name": method, "data.train_fraction": fraction}
        )
        write_result(cell, {**_metrics(cell, accuracy), "n_train": int(1600 * fraction)}, "bf16")
    readme = tmp_path / "README.md"
    readme.write_text("<!-- results:dss/cpu -->\n<!-- /results:dss/cpu -->\n")
    render_all(readme)
    text = readme.read_text()
    curve = text[text.index("Data-fraction curve") :]
    assert "| e-SNLI: dss " in curve and "| e-SNLI: standard_ft" not in curve  # one fraction only
    assert "25% (400 records)" in curve and "55.0 (1)" in curve and "71.0 ± 1.0 (3)" in curve
    header = curve.splitlines()[2]
    assert header.index("25%") < header.index("50%") < header.index("100%")  # ordered by fraction
    assert "nan" not in curve
    main = text[: text.index("Data-fraction curve")]
    assert "55.0" not in main and "71.0 ± 1.0 (3)" in main


def test_a_method_missing_a_fraction_reads_n_a(results):
    """Only DSS ran at 25%: standard finetuning's 25% cell reads n/a, never 'nan'."""
    from distill_lib.papers.dss.report import fraction_table

    cell = results.replace(
        {"data.dataset": "esnli", "method.name": "dss", "data.train_fraction": 0.25}
    )
    write_result(cell, _metrics(cell, 55.0), "bf16")
    second = results.replace(
        {"data.dataset": "esnli", "method.name": "standard_ft", "data.train_fraction": 0.5}
    )
    write_result(second, _metrics(second, 60.0), "bf16")
    table = fraction_table(results_frame("dss", "cpu"))
    assert list(table.columns) == ["25%", "50%", "100%"]
    assert table.loc["e-SNLI: standard_ft", "25%"] == "n/a"
    assert table.loc["e-SNLI: dss", "50%"] == "n/a"


def test_equal_means_read_level_not_ahead_by_zero():
    from distill_lib.plots.compare import claim, compare

    sentence = claim("SVAMP", "potd (pot)", "etd (pot)", compare([2.67, 2.66], [2.665]))
    assert sentence.startswith("SVAMP: etd (pot) and potd (pot) are level (2.7 vs 2.7)")


def test_a_single_seed_borrows_the_other_sides_spread_and_says_so():
    from distill_lib.plots.compare import claim, compare

    # potd 3 seeds with std 2.0; cotd one seed: se = 2.0 * sqrt(1/3 + 1) = 2.31
    c = compare([14.7], [20.4, 22.4, 24.4])
    assert c["se of difference"] == pytest.approx(2.0 * (4 / 3) ** 0.5)
    assert claim("SVAMP", "cotd (cot)", "potd (pot)", c) == (
        "SVAMP: potd (pot) is ahead of cotd (cot) by 7.7 points (22.4 vs 14.7), larger than two "
        "standard errors of the difference (one is 2.3), taking cotd (cot)'s single seed to vary "
        "as potd (pot)'s 3 seeds do (std 2.0)."
    )
    # the same from the other side, and within two standard errors
    within = claim("GSM8K", "potd (pot)", "etd (pot)", compare([1.0, 3.0], [3.5]))
    assert within.endswith(
        "within two standard errors of the difference (one is 1.7), taking etd (pot)'s single seed "
        "to vary as potd (pot)'s 2 seeds do (std 1.4)."
    )


def test_seeds_that_agree_exactly_give_no_verdict():
    from distill_lib.plots.compare import claim, compare

    # two seeds at 3.0 and one at 2.0: a standard error of zero is no evidence of a difference
    c = compare([3.0, 3.0], [2.0])
    assert c["se of difference"] == 0
    assert claim("GSM8K", "potd (pot)", "etd (pot)", c) == (
        "GSM8K: etd (pot) is behind potd (pot) by 1.0 points (2.0 vs 3.0); the seeds agree exactly "
        "(std 0.0), so there is no seed spread to compare with."
    )
    level = claim("GSM8K", "cotd (cot)", "potd (pot)", compare([3.0], [3.0, 3.0]))
    assert level.startswith("GSM8K: potd (pot) and cotd (cot) are level")
    assert "larger than" not in level


def test_committed_readme_matches_committed_results(tmp_path, monkeypatch):
    """The README's results blocks are what `make figures` renders from results/ (regenerate after a
    new record)."""
    monkeypatch.delenv("DISTILL_RESULTS_ROOT", raising=False)
    monkeypatch.setenv("DISTILL_FIGURES_ROOT", str(tmp_path / "figures"))
    assert render_all(check=True) == [], (
        "README results blocks are stale: run `make figures` and commit"
    )


def test_math_summary_table_and_claims(tmp_path, monkeypatch):
    """Per-benchmark accuracy and the ETD extensions come from the test outcomes; the table puts
    each method on its own thought, ETD on every thought, and the reference rows labelled as other
    models."""
    from distill_lib.papers.math.report import summarize
    from distill_lib.papers.math.results import claim_sentences, long_results, math_table

    records = [{"id": f"{b}/{i}", "label": "2"} for b in ("svamp", "gsm8k") for i in range(2)]
    scores = {
        "pot": {"correct": [True, True, False, False], "answers": [2.0, 2.0, 1.0, None]},
        "eot": {"correct": [True, False, False, True], "answers": [2.0, 5.0, 3.0, 2.0]},
        "cot": {"correct": [False, False, False, False], "answers": [None, 5.0, 3.0, None]},
    }
    summary = summarize(records, scores)
    assert summary["accuracy"]["svamp"] == {
        "pot": 100.0,
        "eot": 50.0,
        "cot": 0.0,
        "fallback*": 100.0,
        "vote*": 50.0,
    }
    assert summary["n"] == {"svamp": 2, "gsm8k": 2}
    frame = pd.DataFrame(
        [
            {"method": "etd", "seed": 0, "summary": summary},
            {
                "method": "potd",
                "seed": 0,
                "summary": {"accuracy": {"svamp": {"pot": 40.0}}, "n": {"svamp": 2}},
            },
        ]
    )
    results = long_results(frame)
    table = math_table(results)
    assert table.loc["ours: etd (fallback*)", "SVAMP (n=2)"] == "100.0 (1)"
    assert table.loc["ours: potd (pot)", "SVAMP (n=2)"] == "40.0 (1)"
    assert any(label.startswith("other model:") for label in table.index)
    (sentence,) = [s for s in claim_sentences(results) if "PoTD student" in s]
    assert sentence.startswith(
        "SVAMP, ETD vs the PoTD student, both on programs: etd (pot) is ahead of potd (pot) "
        "by 60.0 points"
    )
