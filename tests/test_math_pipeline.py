"""Math (EoTD / ETD) pipeline: verified teacher data with yields, split shapes, ensemble extensions,
one tiny cell."""

from __future__ import annotations

import json

import pytest

from distill_lib.config import load_config
from distill_lib.config_values import ConfigError
from distill_lib.data.records import DataUnavailable
from distill_lib.papers.math.report import ensemble_scores, read_math_predictions, vote_answer
from distill_lib.papers.math.splits import load_math_splits, split_questions
from distill_lib.papers.math.stage import build_teacher_data, teacher_data


def smoke(**overrides):
    return load_config("configs/math.yaml", "smoke", {"teacher.limit": 12, **overrides})


@pytest.fixture(autouse=True)
def run_root(tmp_path, monkeypatch):
    monkeypatch.setenv("DISTILL_RUN_ROOT", str(tmp_path))


def test_released_teacher_data_is_verified_and_saved(data_dir):
    data, stats = build_teacher_data(smoke())
    assert set(data["format"]) == {"cot", "pot", "eot"} and len(set(data["question_id"])) == 12
    for fmt, numbers in stats["formats"].items():
        assert numbers["n_kept"] == data["format"].count(fmt) and 0 < numbers["yield"] <= 1
    assert stats["formats"]["eot"]["derived"] and "derived" in stats["note"]
    assert all(
        line.startswith(("%", "ans =")) or " = " in line
        for r in data
        if r["format"] == "eot"
        for line in r["rationale"].splitlines()
    )
    assert all(
        r["rationale"].rstrip().splitlines()[-1].startswith("ans = ")
        for r in data
        if r["format"] == "pot"
    )
    again, _ = teacher_data(smoke())  # same settings: read back, not rebuilt
    assert again["rationale"] == data["rationale"]


def test_splits_shapes_and_interleaved_test(data_dir):
    # training never builds teacher data
    with pytest.raises(DataUnavailable, match="run the teacher stage first"):
        load_math_splits(smoke(**{"method.name": "etd"}))
    build_teacher_data(smoke())
    splits = load_math_splits(smoke(**{"method.name": "etd"}))
    train_q, valid_q = set(splits["train"]["question_id"]), set(splits["valid"]["id"])
    assert len(valid_q) == 1 and not train_q & valid_q  # 10% of 12 questions, rounded
    assert splits["train"]["format"][:3] == ["cot", "pot", "eot"]  # grouped by question
    test = splits["test"]
    assert test["id"][:2] == ["svamp/chal-1", "gsm8k/gsm8k-test-0"] and len(test) == 1000 + 1319
    assert all(isinstance(a, float) for a in test["answer"][:10])


def test_split_questions_is_seeded(data_dir):
    data, _ = build_teacher_data(smoke())
    first = split_questions(data, 0.25, seed=3)[1]["id"]
    assert first == split_questions(data, 0.25, seed=3)[1]["id"] and len(first) == 3


def test_bad_pool_and_options_are_named():
    with pytest.raises(
        ConfigError,
        match=r"data.dataset names \['svamp-math'\]: math knows \['math-gsm8k', 'math-reft'\]",
    ):
        smoke(**{"data.dataset": "svamp-math"})
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['data.options.colour'\]"):
        smoke(**{"data.options": {"colour": 1}})
    with pytest.raises(ConfigError, match=r"data.options.formats = \['cot', 'xot'\]"):
        smoke(**{"data.options.formats": ["cot", "xot"]})


def _rows(example_id, label, answers):
    return [
        {
            "id": example_id,
            "format": f,
            "prediction": "",
            "label": label,
            "correct": False,
            "answer": a,
        }
        for f, a in answers.items()
    ]


def test_fallback_and_vote(tmp_path):
    # fallback eot 5 ok; vote 5 ok
    rows = (
        _rows("svamp/1", "5", {"cot": 5.0, "pot": None, "eot": 5.0})
        # fallback pot wrong; vote 7 ok
        + _rows("svamp/2", "7", {"cot": 7.0, "pot": 3.0, "eot": 7.0004})
        # all differ: tie -> pot, ok
        + _rows("gsm8k/3", "2", {"cot": 1.0, "pot": 2.0, "eot": 3.0})
        + _rows("gsm8k/4", "9", {"cot": None, "pot": None, "eot": None})
    )  # nothing: wrong
    assert vote_answer({"cot": 1.0, "pot": 2.0, "eot": 3.0}) == 2.0
    path = tmp_path / "predictions.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    overall = ensemble_scores(read_math_predictions(path))["all"]
    assert (overall["fallback"], overall["vote"]) == (50.0, 75.0)
    by_benchmark = ensemble_scores(rows)
    assert by_benchmark["svamp"] == {"fallback": 50.0, "vote": 100.0, "n": 2}
    assert by_benchmark["gsm8k"] == {"fallback": 50.0, "vote": 50.0, "n": 2}


def test_tiny_etd_cell_scores_every_format(data_dir):
    from distill_lib.experiment import run_cell
    from distill_lib.runs import cell_dir

    cfg = smoke(
        **{
            "method.name": "etd",
            "data.train_limit": 16,
            "data.test_limit": 4,
            "train.max_steps": 3,
            "train.eval_every": 3,
            "train.eval_subset": 1,
            "train.global_batch_size": 8,
            "train.per_device_batch_size": 8,
            "eval.max_new_tokens": 8,
        }
    )
    build_teacher_data(cfg)
    metrics = run_cell(cfg)
    assert metrics["n_train"] == 16 and metrics["n_test"] == 4 and metrics["last_step"] == 3
    for fmt in ("cot", "pot", "eot"):
        assert metrics["test_at_best"][fmt]["n"] == 4
    rows = [
        json.loads(line) for line in (cell_dir(cfg) / "predictions.jsonl").read_text().splitlines()
    ]
    assert {r["format"] for r in rows} == {"cot", "pot", "eot"} and {
        r["id"].split("/")[0] for r in rows
    } == {"svamp", "gsm8k"}
