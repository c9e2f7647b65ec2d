"""SciGen pipeline: split construction and limits, teacher-triple aggregation per table, one tiny
training cell."""

from __future__ import annotations

import json

import pytest
from datasets import Dataset

from distill_lib.config import load_config
from distill_lib.config_values import ConfigError
from distill_lib.papers.index import load_splits
from distill_lib.papers.scigen.splits import (
    aggregate_triples,
    attach_scigen_teacher,
    load_scigen_splits,
    table_id,
)


def smoke(**overrides):
    return load_config("configs/scigen.yaml", "smoke", {"teacher.source": "released", **overrides})


def test_split_sizes_and_limits(data_dir):
    full = load_scigen_splits(smoke(**{"data.options": {"size": "few-shot", "test_split": "test"}}))
    assert {k: len(v) for k, v in full.items()} == {"train": 200, "valid": 100, "test": 492 + 546}
    assert full["test"][0]["id"] == "test-CL-0" and full["test"][-1]["id"].startswith("test-Other-")
    limited = load_splits(
        smoke(**{"data.train_limit": 48, "data.valid_limit": 16, "data.test_limit": 24})
    )
    assert {k: len(v) for k, v in limited.items()} == {"train": 48, "valid": 16, "test": 24}
    assert all(i.startswith("test-CL-") for i in limited["test"]["id"])


@pytest.mark.parametrize(
    "options", [{"test_split": "test-XX"}, {"size": "huge"}, {"colour": "red"}]
)
def test_bad_options_are_named(options, data_dir):
    # refused when the config loads, before any data
    with pytest.raises(ConfigError, match="data.options"):
        smoke(**{"data.options": options})


TRIPLES = [
    {
        "id": "train-1",
        "rationale": "Looking at Acc, A wins.",
        "llm_label": "A is best.",
        "parse_ok": True,
    },
    {
        "id": "train-1-t1",
        "rationale": "Looking at F1, B loses.",
        "llm_label": "B is worst.",
        "parse_ok": False,
    },
    {"id": "train-10-t1", "rationale": "R.", "llm_label": "S.", "parse_ok": True},
    {"id": "train-2", "rationale": "", "llm_label": "", "parse_ok": False},  # parse failure
    {"id": "train-99", "rationale": "X.", "llm_label": "Y.", "parse_ok": True},  # not in the split
]


def test_table_id_strips_triple_and_sample_suffixes():
    known = {"train-1", "train-10"}
    assert table_id("train-1-t1", known) == "train-1"
    assert table_id("train-10-0-t1", known) == "train-10"
    assert table_id("train-99", known) is None


def test_triples_aggregate_per_table_with_verification_filter():
    known = {"train-1", "train-2", "train-10"}
    verified = aggregate_triples(TRIPLES, known, verified_only=True)
    assert verified["train-1"] == {
        "rationale": "Looking at Acc, A wins. A is best.",
        "llm_label": "A is best.",
        "source": "teacher",
        "teacher_triples": 1,
    }
    assert set(verified) == {"train-1", "train-10"}
    everything = aggregate_triples(TRIPLES, known, verified_only=False)
    assert everything["train-1"]["rationale"] == (
        "Looking at Acc, A wins. A is best. Looking at F1, B loses. B is worst."
    )
    assert everything["train-1"]["teacher_triples"] == 2


def test_attach_joins_on_table_ids(tmp_path):
    Dataset.from_list([{**t, "source": "smol"} for t in TRIPLES]).save_to_disk(
        str(tmp_path / "teacher")
    )
    split = Dataset.from_list(
        [
            {"id": i, "rationale": "", "llm_label": "", "source": "gold"}
            for i in ("train-1", "train-2", "train-3")
        ]
    )
    joined = attach_scigen_teacher(split, tmp_path / "teacher", verified_only=False)
    assert joined["teacher_triples"] == [2, 0, 0]
    assert joined["source"] == ["smol", "teacher-missing", "teacher-missing"]
    with pytest.raises(FileNotFoundError, match="10_scigen_teacher"):
        attach_scigen_teacher(split, tmp_path / "nowhere")


def test_tiny_cell_writes_bleu(data_dir, tmp_path, monkeypatch):
    from distill_lib.experiment import run_cell
    from distill_lib.runs import cell_dir

    monkeypatch.setenv("DISTILL_RUN_ROOT", str(tmp_path))
    cfg = smoke(
        **{
            "method.name": "scigen_reasoning_output",
            "data.train_limit": 8,
            "data.valid_limit": 4,
            "data.test_limit": 4,
            "train.max_steps": 2,
            "train.eval_every": 2,
            "train.eval_subset": 2,
            "train.global_batch_size": 4,
            "train.per_device_batch_size": 4,
            "eval.max_new_tokens": 8,
        }
    )
    metrics = run_cell(cfg)
    assert (
        metrics["n_test"] == 4
        and metrics["best_step"] == 2
        and [h["step"] for h in metrics["history"]] == [2]
    )
    rows = [
        json.loads(line) for line in (cell_dir(cfg) / "predictions.jsonl").read_text().splitlines()
    ]
    assert [r["id"] for r in rows] == [f"test-CL-{i}" for i in range(4)]
    import sacrebleu

    from distill_lib.papers.scigen.methods import ReasoningOutput

    # the stored BLEU is sacreBLEU of the read-back descriptions
    read = ReasoningOutput(cfg.method).read_label
    expected = sacrebleu.corpus_bleu(
        [read(r["prediction"]) or "empty" for r in rows], [[r["label"] for r in rows]]
    )
    assert metrics["test_at_best"]["primary"] == pytest.approx(expected.score, abs=1e-6)


def test_report_scores_a_cell_against_its_tables(data_dir, tmp_path):
    from distill_lib.papers.scigen.data import load_scigen
    from distill_lib.papers.scigen.report import normalise, report_table, score_cell

    assert normalise("The F1, e.g. 3.5!") == "the f1 , e . g . 3 . 5 !"
    tests = {r["id"]: r for r in load_scigen("test-CL", data_dir).select(range(2))}
    rows = [
        {"id": i, "format": "label", "prediction": r["label"], "label": r["label"]}
        for i, r in tests.items()
    ]
    (tmp_path / "predictions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    scores = score_cell(tmp_path, tests, {"metrics": ["bleu", "moverscore"]})
    assert scores["n"] == 2 and scores["raw"]["bleu"]["value"] == pytest.approx(100.0)
    assert scores["raw"]["moverscore"]["value"] is None and scores["raw"]["moverscore"]["reason"]
    table = report_table(
        {
            "systems": [{"method": "scigen_plain", "seed": 0, **scores}],
            "teacher": {"model": "t", "reason": "r"},
        }
    )
    assert table.loc["traditional fine-tuning (table -> description)", "bleu"] == "100.00"
    assert (
        table.loc["traditional fine-tuning (table -> description)", "moverscore"] == "not computed"
    )
    assert table.loc["traditional fine-tuning (table -> description)", "tapas_acc"] == "n/a"
    with pytest.raises(ValueError, match="not among the test records"):
        score_cell(tmp_path, {}, {"metrics": ["bleu"]})


def test_report_scores_only_the_description_of_a_reasoning_output_cell(data_dir, tmp_path):
    """A scigen_reasoning_output student writes `Reasoning: ... Description: ...`; only the
    description is the prediction, as during checkpoint selection."""
    from distill_lib.config_sections import MethodConfig
    from distill_lib.papers.scigen.data import load_scigen
    from distill_lib.papers.scigen.methods import ReasoningOutput
    from distill_lib.papers.scigen.report import score_cell

    tests = {r["id"]: r for r in load_scigen("test-CL", data_dir).select(range(2))}
    rows = [
        {
            "id": i,
            "format": "label",
            "prediction": f"Reasoning: row two wins. Description: {r['label']}",
            "label": r["label"],
        }
        for i, r in tests.items()
    ]
    (tmp_path / "predictions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    read = ReasoningOutput(MethodConfig(name="scigen_reasoning_output")).read_label
    assert score_cell(tmp_path, tests, {"metrics": ["bleu"]}, read)["raw"]["bleu"][
        "value"
    ] == pytest.approx(100.0)
    assert score_cell(tmp_path, tests, {"metrics": ["bleu"]})["raw"]["bleu"]["value"] < 99.0


def test_teacher_row_scores_the_teachers_test_statements(data_dir, tmp_path, monkeypatch):
    """The teacher row is the teacher's own statements on the test tables, scored with the students'
    metrics; unverified triples are left out like in training (filter_verified)."""
    from distill_lib.papers.scigen.data import load_scigen
    from distill_lib.papers.scigen.report import report_table, teacher_scores
    from distill_lib.runs import teacher_dir

    monkeypatch.setenv("DISTILL_RUN_ROOT", str(tmp_path))
    cfg = smoke(**{"data.test_limit": 2})
    assert "not computed" in teacher_scores(cfg, {"metrics": ["bleu"]})["reason"]
    tests = list(load_scigen("test-CL", data_dir).select(range(2)))
    rows = [
        {
            "id": r["id"],
            "parsed": [
                {
                    "fields": {
                        "triples": [
                            {"reasoning": "r", "statement": r["label"], "verified": True},
                            {
                                "reasoning": "r",
                                "statement": "an unverified claim",
                                "verified": False,
                            },
                        ]
                    }
                }
            ],
        }
        for r in tests
    ]
    out = teacher_dir(cfg, "scigen", "test")
    out.mkdir(parents=True)
    (out / "teacher_outputs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    scores = teacher_scores(cfg, {"metrics": ["bleu"]})
    assert scores["n"] == 2 and scores["raw"]["bleu"]["value"] == pytest.approx(100.0)
    table = report_table({"systems": [], "teacher": scores})
    assert table.iloc[-1]["bleu"] == "100.00" and "2 tables" in table.index[-1]


def test_only_methods_that_read_the_teacher_need_or_hash_its_outputs(
    data_dir, tmp_path, monkeypatch
):
    """scigen_plain (and the untrained row, its prompt) runs before the teacher stage and keeps its
    cell key when the teacher's outputs change; the reasoning modes need them and follow them."""
    from distill_lib.fingerprint import data_fingerprint
    from distill_lib.runs import teacher_dir

    monkeypatch.setenv("DISTILL_RUN_ROOT", str(tmp_path))
    live = {"teacher.source": "live", "data.options": {"size": "few-shot", "test_split": "test-CL"}}
    plain = smoke(**live, **{"method.name": "scigen_plain"})
    reasoning = smoke(**live, **{"method.name": "scigen_reasoning_input"})
    assert len(load_scigen_splits(plain)["train"]) == 200
    with pytest.raises(FileNotFoundError, match="10_scigen_teacher"):
        load_scigen_splits(reasoning)
    before = data_fingerprint(plain), data_fingerprint(reasoning)
    outputs = teacher_dir(reasoning, reasoning.data.dataset, "train")
    Dataset.from_list([{**t, "source": "smol"} for t in TRIPLES]).save_to_disk(str(outputs))
    assert data_fingerprint(plain) == before[0]
    assert data_fingerprint(reasoning) != before[1]
    joined = load_scigen_splits(reasoning)["train"]
    assert len(joined) == 200 and "teacher_triples" in joined.column_names
