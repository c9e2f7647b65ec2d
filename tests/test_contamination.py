"""Contamination: normalised matching finds a planted benchmark question; the math pools lose their
overlap."""

from __future__ import annotations

from distill_lib.config import load_config
from distill_lib.data.overlap import normalise_text, overlapping
from distill_lib.papers.math.contamination import decontaminate
from distill_lib.papers.math.data import load_math_benchmark
from distill_lib.papers.math.stage import build_teacher_data


def test_normalisation_is_what_the_docstring_says():
    assert normalise_text("Janet’s  ducks lay 16 eggs.") == "janet s ducks lay 16 eggs"
    assert normalise_text("ＪＡＮＥＴ") == "janet"  # NFKC folds full-width letters
    # numbers compared as written
    assert normalise_text("16.0 apples") != normalise_text("16 apples")
    assert overlapping(["A cat?", "a dog", "A  CAT"], ["a cat"]) == [0, 2]


def test_a_planted_benchmark_question_is_found_and_removed(data_dir):
    svamp = load_math_benchmark("svamp", None, data_dir)["input"]
    # case, spacing and punctuation changed
    planted = "  " + svamp[7].upper().replace(" ", "   ") + "!!"
    pool = ["How many apples does a made-up question ask about, 314159?", planted]
    removed, report = decontaminate(pool, ["svamp"], data_dir)
    assert removed == {planted} and report["pool_questions_after"] == 1
    entry = report["benchmarks"]["svamp"]
    assert entry == {
        "checked": True,
        "benchmark_questions": len(svamp),
        "benchmark_questions_in_pool": 1,
        "pool_questions_matching": 1,
        "removed": True,
    }
    # not tested on SVAMP: counted, not removed
    kept, report = decontaminate(pool, ["gsm8k"], data_dir)
    assert kept == set() and report["benchmarks"]["svamp"]["removed"] is False


def test_reft_pool_is_decontaminated_against_the_benchmarks_it_is_tested_on(
    data_dir, tmp_path, monkeypatch
):
    monkeypatch.setenv("DISTILL_RUN_ROOT", str(tmp_path))
    cfg = load_config(
        "configs/math.yaml",
        "smoke",
        {
            "teacher.limit": None,
            "data.options.formats": ["pot"],
            "extra.eval_datasets": ["svamp", "multiarith"],
        },
    )
    data, stats = build_teacher_data(cfg)
    report = stats["contamination"]["benchmarks"]
    assert (
        report["multiarith"]["benchmark_questions_in_pool"] == 596
        and report["multiarith"]["removed"]
    )
    # 839 ASDiv questions are in the CoT file alone; the programs file adds 6 (the pool is the
    # union)
    assert report["asdiv"]["benchmark_questions_in_pool"] == 845 and not report["asdiv"]["removed"]
    multiarith = load_math_benchmark("multiarith", None, data_dir)["input"]
    assert overlapping(list(data["input"]), multiarith) == []
    assert stats["settings"]["decontaminated_against"] == ["multiarith", "svamp"]
