"""Committed results render into tables, sentences and the README; mixed configurations are
refused.
"""

from __future__ import annotations

import pandas as pd
import pytest

from distill_lib.config import load_config
from distill_lib.papers.dss.report import claim_sentences, dss_table, dss_vs_standard
from distill_lib.plots.compare import folder_outcomes
from distill_lib.plots.records import MixedConfigurations, results_frame
from distill_lib.render import render_all, replace_block
from distill_lib.results import write_result

CLAIMS_BLOCK = (
    "<!-- results:claims -->\n<!-- /results:claims -->\n"
    "<!-- results:costs -->\n<!-- /results:costs -->\n"
)
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


def _outcomes(accuracy: float, n: int = 100) -> dict:
    """Per-example outcomes of a cell whose first `accuracy` % of the test ids are right."""
    right = round(accuracy * n / 100)
    return {
        "ids": [f"t{i}" for i in range(n)],
        "correct": {"label": "1" * right + "0" * (n - right)},
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
            write_result(cell, _metrics(cell, accuracy), "bf16", _outcomes(accuracy))
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


def test_sentences_come_from_the_paired_test(results):
    """Each sentence gives the difference, its CI and p, seeds and n, and the verdict; a side with
    one seed says its spread is not in the CI."""
    comparison = dss_vs_standard(results_frame("dss", "cpu"), folder_outcomes("dss", "cpu"))
    esnli, cqa = claim_sentences(comparison)
    assert esnli.startswith("e-SNLI: dss − standard_ft = +9.0 points (71.0 vs 62.0; 95% CI +")
    assert esnli.endswith("3 vs 3 seeds on 100 shared test examples): dss is ahead.")
    assert "1 vs 1 seeds on 100 shared test examples" in cqa
    assert cqa.endswith("one seed on a side, whose seed spread the CI leaves out.")
    assert "two standard errors" not in esnli + cqa


def test_a_frame_without_per_example_outcomes_says_so(results):
    """A frame read from a run folder has no record keys: no verdict, the reason instead."""
    frame = results_frame("dss", "cpu").drop(columns="key")
    (esnli, _) = claim_sentences(dss_vs_standard(frame, {}))
    assert esnli == (
        "e-SNLI: dss vs standard_ft: no paired test: no per-example outcomes in 6 of 6 cells "
        "(result records keep them; run folders and older records do not)."
    )


def test_mixed_configurations_are_refused(results):
    other = results.replace(
        {"data.dataset": "cqa", "method.name": "dss", "train.seed": 5, "train.lr": 3e-4}
    )
    write_result(other, _metrics(other, 50.0), "bf16")
    with pytest.raises(MixedConfigurations, match=r"train\.lr"):
        results_frame("dss", "cpu")


def test_a_methods_own_settings_may_differ_between_methods_not_within_one(results):
    tuned = results.replace({"grid.method_overrides": {"single_task": {"train.lr": 3e-4}}})
    for seed in (7, 8):
        cell = tuned.replace({"data.dataset": "cqa", "method.name": "single_task"})
        cell = cell.replace({"train.seed": seed, "train.lr": 3e-4})
        write_result(cell, _metrics(cell, 50.0), "bf16")
    frame = results_frame("dss", "cpu")  # single_task at 3e-4 beside the others at 1e-4
    assert (frame["method"] == "single_task").sum() == 2
    odd = tuned.replace({"data.dataset": "cqa", "method.name": "single_task", "train.seed": 9})
    write_result(odd, _metrics(odd, 50.0), "bf16")  # a single_task record at the untuned lr
    with pytest.raises(MixedConfigurations, match=r"train\.lr"):
        results_frame("dss", "cpu")


def test_readme_block_is_generated_and_checked(results, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(
        f"intro\n<!-- results:dss/cpu -->\nSTALE\n<!-- /results:dss/cpu -->\n{CLAIMS_BLOCK}end\n"
    )
    ledger_files = [str(tmp_path / "results" / f"claims.{suffix}") for suffix in ("md", "json")]
    assert render_all(readme, check=True) == [str(readme), *ledger_files]  # stale, not written
    render_all(readme)
    text = readme.read_text()
    assert "62.0 ± 2.0 (3)" in text and "STALE" not in text and text.endswith("end\n")
    assert (tmp_path / "figures" / "dss" / "cpu" / "method_by_dataset.png").stat().st_size > 1000
    numeric = pd.read_csv(tmp_path / "figures" / "dss" / "cpu" / "dss_results_numeric.csv")
    row = numeric[(numeric["method"] == "standard_ft") & (numeric["dataset"] == "esnli")].iloc[0]
    assert (row["mean"], row["std"], row["n"]) == (62.0, 2.0, 3)  # numbers, not "62.0 ± 2.0 (3)"
    ledger = (tmp_path / "results" / "claims.md").read_text()
    assert "| dss | DSS beats standard finetuning (e-SNLI) |" in ledger
    assert ledger.split("\n", 4)[4] in text  # the README block is the ledger's table
    assert render_all(readme, check=True) == []
    (tmp_path / "results" / "claims.json").write_text("[]\n")
    assert render_all(readme, check=True) == [str(tmp_path / "results" / "claims.json")]
    render_all(readme)
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
    readme.write_text(f"<!-- results:dss/cpu -->\n<!-- /results:dss/cpu -->\n{CLAIMS_BLOCK}")
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
    from distill_lib.papers.math.results import (
        claim_sentences,
        long_results,
        math_table,
        paired_comparisons,
    )

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
            {"method": "etd", "seed": 0, "summary": summary, "key": "etd/seed0"},
            {
                "method": "potd",
                "seed": 0,
                "summary": {"accuracy": {"svamp": {"pot": 0.0}}, "n": {"svamp": 2}},
                "key": "potd/seed0",
            },
        ]
    )
    ids = [r["id"] for r in records]
    outcomes = {
        "etd/seed0": {"ids": ids, "correct": {"pot": "1100", "eot": "1001", "cot": "0000"}},
        "potd/seed0": {"ids": ids, "correct": {"pot": "0000"}},
    }
    results = long_results(frame)
    table = math_table(results)
    assert table.loc["ours: etd (fallback*)", "SVAMP (n=2)"] == "100.0 (1)"
    assert table.loc["ours: potd (pot)", "SVAMP (n=2)"] == "0.0 (1)"
    assert any(label.startswith("other model:") for label in table.index)
    comparisons = paired_comparisons(frame, outcomes, ["svamp", "gsm8k"])
    svamp, gsm8k = [s for s in claim_sentences(comparisons) if "PoTD student" in s]
    assert svamp == (
        "SVAMP, ETD vs the PoTD student, both on programs: etd (pot) − potd (pot) = +100.0 points "
        "(100.0 vs 0.0; 95% CI +100.0 to +100.0, p < 0.001; 1 vs 1 seeds on 2 shared test "
        "examples): etd (pot) is ahead; one seed on a side, whose seed spread the CI leaves out."
    )
    assert gsm8k.startswith("GSM8K, ETD vs the PoTD student, both on programs: etd (pot) − potd")
    assert "p = 1.000" in gsm8k and "not resolved at this size" in gsm8k
