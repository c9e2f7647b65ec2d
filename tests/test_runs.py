"""Run layout: a cell's identity follows every setting that can change its result, and only
those.
"""

from __future__ import annotations

import json

import pytest

from distill_lib.config import load_config
from distill_lib.results import read_results, records_results, write_result
from distill_lib.runs import (
    NOT_IDENTITY,
    cell_dir,
    cell_key,
    grid_cells,
    read_jsonl,
    result_path,
    run_dir,
)

CHANGES_RESULT = {
    "student.name": "pip:gemma3-270m",
    "student.max_input_tokens": 64,
    "method.label_source": "llm",
    "method.alpha": 0.3,
    "method.label_prefix": "label: ",
    "method.rationale_prefix": "why: ",
    "data.train_limit": 99,
    "data.test_limit": 7,
    "data.train_fraction": 0.5,
    "train.lr": 3e-4,
    "train.max_steps": 7,
    "train.global_batch_size": 8,
    "train.seed": 5,
    "train.warmup_ratio": 0.1,
    "eval.max_new_tokens": 9,
    "eval.num_beams": 2,
    "teacher.source": "live",
    "teacher.model": "other",
    "teacher.temperature": 0.7,
    "extra.exact_svamp": True,
}
NO_CHANGE = {
    "train.log_every": 3,
    "eval.batch_size": 7,
    "train.per_device_batch_size": 8,
    "teacher.concurrency": 1,
    "run_root": "elsewhere",
    "grid.seeds": [4],
}


@pytest.fixture
def base():
    return load_config("configs/dss.yaml", "cpu")


@pytest.mark.parametrize("key,value", sorted(CHANGES_RESULT.items()))
def test_a_changed_setting_gives_a_new_cell(base, key, value):
    changed = base.replace({key: value})
    assert cell_key(changed) != cell_key(base)
    assert cell_dir(changed) != cell_dir(base)


@pytest.mark.parametrize("key,value", sorted(NO_CHANGE.items()))
def test_settings_that_cannot_change_a_result_keep_the_cell(base, key, value, monkeypatch):
    monkeypatch.delenv("DISTILL_RUN_ROOT", raising=False)
    assert key in NOT_IDENTITY or key.split(".")[0] in NOT_IDENTITY
    assert cell_key(base.replace({key: value})) == cell_key(base)


def test_key_is_readable(base):
    cell = base.replace(
        {
            "data.dataset": "cqa",
            "method.name": "dss",
            "method.label_source": "llm",
            "train.seed": 2,
            "data.train_fraction": 0.25,
        }
    )
    prefix, digest = cell_key(cell).rsplit("-", 1)
    assert prefix == "cqa/dss-llm/seed2_frac0.25" and len(digest) == 10
    assert "_untrained" in cell_key(base.replace({"train.max_steps": 0}))


def test_grid_cells_are_distinct_and_complete(base):
    cells = grid_cells(base)
    keys = [cell_key(c) for c in cells]
    assert len(keys) == len(set(keys))
    untrained = [c for c in cells if c.train.max_steps == 0]
    assert sorted(c.data.dataset for c in untrained) == sorted(base.grid.datasets)
    seeds = {(c.data.dataset, c.method.name): set() for c in cells}
    for c in cells:
        if c.train.max_steps and c.data.train_fraction == 1.0:
            seeds[(c.data.dataset, c.method.name)].add(c.train.seed)
    assert seeds[("esnli", "dss")] == {0, 1, 2} and seeds[("svamp", "dss")] == {0}
    fractions = {
        c.data.train_fraction for c in cells if c.data.dataset == "esnli" and c.method.name == "dss"
    }
    assert fractions == {0.25, 0.5, 1.0}


def test_smoke_grid_holds_the_model_size_and_unlabelled_axes():
    """The model-size axis (each listed student on its datasets and methods) and the unlabelled
    setting (LLM labels over every fraction) are cells of the grid, each with its own key."""
    cfg = load_config("configs/dss.yaml", "smoke")
    cells = grid_cells(cfg)
    sized = {(c.student.name, c.data.dataset, c.method.name) for c in cells if c.train.max_steps}
    for student in cfg.grid.students:
        for method in cfg.grid.student_methods:
            assert (student, "cqa", method) in sized
    llm = {(c.method.name, c.data.train_fraction) for c in cells if c.method.label_source == "llm"}
    assert llm == {(m, f) for m in cfg.grid.unlabelled_methods for f in cfg.grid.fractions}
    keys = [cell_key(c) for c in cells]
    assert len(keys) == len(set(keys)) and any("-llm/" in k for k in keys)


def test_results_are_written_for_real_cells_only(base, tmp_path, monkeypatch):
    monkeypatch.setenv("DISTILL_RESULTS_ROOT", str(tmp_path))
    assert records_results(base)
    assert not records_results(load_config("configs/dss.yaml", "smoke"))
    assert not records_results(base.replace({"student.name": "tiny-causal"}))
    metrics = {"dataset": "esnli", "test_at_best": {"primary": 50.0}}
    path = write_result(base, metrics, "bf16", {"ids": ["a"], "correct": {"label": "1"}})
    assert path == result_path(base) and path.is_relative_to(tmp_path / "dss" / "cpu")
    record = read_results("dss", "cpu")[0]
    assert record["key"] == cell_key(base) and record["metrics"] == metrics
    assert record["machine"]["precision"] == "bf16" and record["machine"]["cpu"]
    assert record["config"]["train"]["lr"] == base.train.lr and "torch" in record["versions"]
    assert record["commit"] and record["test_examples"]["correct"]["label"] == "1"


def test_run_dir_env(base, tmp_path, monkeypatch):
    monkeypatch.setenv("DISTILL_RUN_ROOT", str(tmp_path))
    assert run_dir(base) == tmp_path / "dss" / "cpu"


def test_read_jsonl_names_file_and_line(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps({"id": 1}) + "\n{broken\n")
    with pytest.raises(ValueError, match=r"rows\.jsonl, line 2: not valid JSON"):
        read_jsonl(path)
    path.write_text(json.dumps({"id": 1}) + "\n")
    with pytest.raises(ValueError, match=r"line 1: missing field\(s\) \['label'\]"):
        read_jsonl(path, required=("id", "label"))


def test_a_rerun_with_other_settings_replaces_the_position(base, tmp_path, monkeypatch):
    monkeypatch.setenv("DISTILL_RESULTS_ROOT", str(tmp_path))
    first = write_result(base, {"dataset": "esnli"}, "bf16")
    other = base.replace({"train.lr": 3e-4})
    second = write_result(other, {"dataset": "esnli"}, "bf16")
    assert first != second and second.exists() and not first.exists()
    # another position
    neighbour = write_result(base.replace({"train.seed": 1}), {"dataset": "esnli"}, "bf16")
    assert neighbour.exists() and second.exists()
