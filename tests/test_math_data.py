"""Math benchmark loaders, released teacher outputs, their verification accuracy, and filtering."""

import pytest
from datasets import Dataset

from distill_lib.data.records import RECORD_COLUMNS, DataUnavailable, make_record, resolve_data_dir
from distill_lib.papers.math.data import (
    asdiv_numeric_answer,
    gsm8k_gold,
    load_math_benchmark,
    load_svamp_math,
)
from distill_lib.papers.math.programs import clean_program, program_to_equations
from distill_lib.papers.math.teacher_data import (
    keep_verified,
    load_gsm8k_train_programs,
    load_reft_svamp,
)
from distill_lib.verify.answer import answers_match, extract_cot_answer
from distill_lib.verify.batch import VerifierPool

DATA_DIR = resolve_data_dir(None)
needs_data = pytest.mark.skipif(DATA_DIR is None, reason="shared data dir ../shared/data not found")
# programs executed per released set; the full sets are measured by benchmarks/bench_verify.py
SAMPLE = 300


def accuracy(results, golds) -> float:
    return sum(answers_match(r.answer, g) for r, g in zip(results, golds, strict=True)) / len(golds)


@needs_data
@pytest.mark.parametrize(
    "name, split, size",
    [
        ("gsm8k", "train", 7473),
        ("gsm8k", "test", 1319),
        ("svamp", None, 1000),
        ("asdiv", None, 2084),
        ("multiarith", None, 600),
    ],
)
def test_benchmark_sizes_and_records(name, split, size):
    dataset = load_math_benchmark(name, split)
    assert len(dataset) == size
    assert set(RECORD_COLUMNS) <= set(dataset.column_names) and "answer" in dataset.column_names
    assert len(set(dataset["id"])) == size
    row = dataset[0]
    assert (
        row["format"] == "label"
        and row["source"] == "gold"
        and float(row["label"]) == row["answer"]
    )


@needs_data
def test_known_gold_answers():
    assert load_math_benchmark("gsm8k", "test")[0]["answer"] == 18.0
    assert load_math_benchmark("svamp")[0]["input"].endswith(
        "How much do you have to pay to buy each pack?"
    )


def test_gold_parsing_rules():
    assert gsm8k_gold("so 1,234 in all\n#### 1,234", "row 1") == 1234.0
    with pytest.raises(ValueError, match="row 7.*no '#### N'"):
        gsm8k_gold("no final line", "row 7")
    assert asdiv_numeric_answer("9 (apples)") == 9.0
    assert asdiv_numeric_answer("1,200 (dollars)") == 1200.0
    assert asdiv_numeric_answer("-3.5") == -3.5
    assert asdiv_numeric_answer("3 (red); 4 (blue)") is None
    assert asdiv_numeric_answer("Tom") is None
    assert asdiv_numeric_answer("2:30 (p.m.)") is None


def test_missing_files_and_hub_split_raise_data_unavailable(tmp_path, monkeypatch):
    with pytest.raises(DataUnavailable, match="svamp/SVAMP.json"):
        load_math_benchmark("svamp", None, tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DataUnavailable, match="ChilleD/SVAMP"):
        load_svamp_math("test", tmp_path)
    with pytest.raises(DataUnavailable, match="openai/gsm8k"):
        load_math_benchmark("gsm8k", "train", tmp_path)
    with pytest.raises(ValueError, match="unknown math benchmark"):
        load_math_benchmark("mawps")


@needs_data
def test_reft_cot_extraction_accuracy():
    dataset = load_reft_svamp("cot")
    assert len(dataset) == 3076 and set(dataset["format"]) == {"cot"}
    correct = sum(
        answers_match(extract_cot_answer(text), gold)
        for text, gold in zip(dataset["rationale"], dataset["answer"], strict=True)
    )
    assert correct / len(dataset) > 0.95


@needs_data
def test_reft_and_gsm8k_program_execution_accuracy():
    reft = load_reft_svamp("pot")
    gsm8k = load_gsm8k_train_programs()
    assert len(reft) == 3043 and len(gsm8k) == 9184
    assert len(set(gsm8k["id"])) == 7305
    assert all(
        program.rstrip().splitlines()[-1].startswith("ans = ") for program in gsm8k["rationale"]
    )
    step = len(gsm8k) // SAMPLE
    with VerifierPool("program", workers=2) as pool:
        assert accuracy(pool.map(reft["rationale"][:SAMPLE]), reft["answer"][:SAMPLE]) > 0.95
        assert accuracy(pool.map(gsm8k["rationale"][::step]), gsm8k["answer"][::step]) > 0.98


@needs_data
def test_program_translation_solves_to_gold():
    raw = load_gsm8k_train_programs(clean=False)[:200]
    systems = [program_to_equations(program) for program in raw["rationale"]]
    translated = [(text, gold) for text, gold in zip(systems, raw["answer"], strict=True) if text]
    assert len(translated) > 0.9 * len(systems)
    with VerifierPool("equations", workers=2) as pool:
        results = pool.map([text for text, _ in translated])
    assert accuracy(results, [gold for _, gold in translated]) > 0.95


PROGRAM = '''from fractions import Fraction

def solve():
    """Index: 0.
    Returns: clips.
    """
    # L1
    april = 48 # 48 in April
    # half as many in May
    may = april * Fraction(1, 2)

    # FA
    answer = april + may
    return answer'''


def test_clean_program_flattens_and_strips_markers():
    cleaned = clean_program(PROGRAM)
    assert "Index" not in cleaned and "# L1" not in cleaned and "# FA" not in cleaned
    assert "# 48 in April" in cleaned and "def solve" not in cleaned
    assert cleaned.rstrip().endswith("ans = answer")
    branching = "def solve():\n    if 1 > 0:\n        return 5\n    return 6"
    assert clean_program(branching).rstrip().endswith("ans = solve()")


def test_program_to_equations():
    assert program_to_equations(PROGRAM) == (
        "% 48 in April\napril = 48\n% half as many in May\nmay = april * (1 / 2)\nanswer = april + "
        "may\n"
        "ans = answer"
    )
    assert program_to_equations("x = 2\nans = x * 3") == "x = 2\nans = x * 3"
    for program in [
        "def solve():\n    t = 0\n    for i in range(3):\n        t = t + i\n    return t",
        "x = 5\nx = x + 1\nans = x",
        "ans = round(2.5)",
        "ans = 7 // 2",
        "ans = (",
        "y = 1",
    ]:
        assert program_to_equations(program) is None, program


def test_keep_verified_keeps_correct_unique_rows():
    def row(id, rationale, answer):
        return make_record(
            id, "q", str(answer), rationale=rationale, format="pot", answer=float(answer)
        )

    dataset = Dataset.from_list(
        [
            row("a", "ans = 2 + 2", 4),
            row("a", "ans = 2 + 2", 4),
            row("a", "ans = 8 / 2", 4),
            row("b", "ans = 5", 6),
            row("c", "while True:\n    pass", 1),
            row("d", "import os\nans = 1", 1),
        ]
    )
    kept, stats = keep_verified(dataset, "pot", timeout_s=1.0)
    assert kept["rationale"] == ["ans = 2 + 2", "ans = 8 / 2"] and kept["llm_label"] == ["4", "4"]
    assert stats["n_in"] == 6 and stats["n_unique"] == 5 and stats["n_kept"] == 2
    assert stats["failures"] == {"wrong_answer": 1, "timeout": 1, "forbidden": 1}
    with pytest.raises(ValueError, match="no 'answer' column"):
        keep_verified(Dataset.from_list([{"id": "x", "rationale": "ans = 1"}]), "pot")


def test_samples_of_one_question_that_agree_are_kept_once():
    """A live teacher's k samples get ids `{id}-{k}`: duplicates are the same question and the same
    thought up to whitespace, whatever the id; other questions with the same program are not
    duplicates."""

    def sample(sample_id, question, program):
        return make_record(sample_id, question, "4", rationale=program, format="pot", answer=4.0)

    dataset = Dataset.from_list(
        [
            sample("q1-0", "Two plus two?", "ans = 2 + 2"),
            sample("q1-1", "Two plus two?", "ans  =  2 + 2\n"),
            sample("q1-2", "Two plus two?", "ans = 2 * 2"),
            sample("q2-0", "Four?", "ans = 2 + 2"),
        ]
    )
    kept, stats = keep_verified(dataset, "pot", timeout_s=1.0)
    assert kept["id"] == ["q1-0", "q1-2", "q2-0"] and stats["n_unique"] == 3
