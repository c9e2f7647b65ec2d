"""Run layout: a cell's identity follows every setting that can change its result, and only
those.
"""

from __future__ import annotations

import json

import pytest

from distill_lib.config import PROJECT_ROOT, load_config
from distill_lib.plots.local import render_local
from distill_lib.results import read_results, records_results, write_result
from distill_lib.runs import (
    NOT_IDENTITY,
    cell_dir,
    cell_key,
    grid_cells,
    identity_settings,
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
    "eval.rank_shared_prefix": True,
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


def test_a_users_run_records_go_to_its_own_tree(base, tmp_path, monkeypatch):
    """Without DISTILL_RESULTS_ROOT a record goes under <run root>/results (git-ignored), never into
    the committed results/; with it, into the tree it names."""
    monkeypatch.delenv("DISTILL_RESULTS_ROOT", raising=False)
    monkeypatch.setenv("DISTILL_RUN_ROOT", str(tmp_path / "runs"))
    path = write_result(base, {"dataset": "esnli"}, "fp32")
    assert path.is_relative_to(tmp_path / "runs" / "results" / "dss" / "cpu")
    assert not path.is_relative_to(PROJECT_ROOT / "results")
    assert [r["key"] for r in read_results("dss", "cpu", local=True)] == [cell_key(base)]
    monkeypatch.setenv("DISTILL_RESULTS_ROOT", str(tmp_path / "committed"))
    assert write_result(base, {"dataset": "esnli"}, "bf16").is_relative_to(tmp_path / "committed")
    assert path.exists()  # the local record stays


def _esnli(cfg, method: str, seed: int, accuracy: float) -> tuple:
    cell = cfg.replace({"data.dataset": "esnli", "method.name": method, "train.seed": seed})
    metrics = {
        "dataset": "esnli",
        "method": method,
        "seed": seed,
        "fraction": 1.0,
        "test_at_best": {"primary": accuracy},
        "test_at_last": {"primary": accuracy},
        "precision": "fp32",
    }
    return cell, metrics


def test_your_run_is_shown_beside_the_committed_results(base, tmp_path, monkeypatch):
    monkeypatch.setenv("DISTILL_RUN_ROOT", str(tmp_path / "runs"))
    monkeypatch.setenv("DISTILL_FIGURES_ROOT", str(tmp_path / "figures"))
    monkeypatch.delenv("DISTILL_RESULTS_ROOT", raising=False)
    write_result(*_esnli(base, "dss", 0, 50.0), "fp32")  # this machine's run
    monkeypatch.setenv("DISTILL_RESULTS_ROOT", str(tmp_path / "committed"))
    for seed, accuracy in enumerate([60.0, 62.0]):
        cell, metrics = _esnli(base, "dss", seed, accuracy)
        write_result(cell, {**metrics, "precision": "bf16"}, "bf16")
    tables = render_local()
    row = tables["dss/cpu"].loc[("esnli", "dss", 1.0)]
    assert row["committed"] == "61.00 ± 1.41 (2)" and row["your run"] == "50.00 ± 0.00 (1)"
    assert (row["committed precision"], row["your run precision"]) == ("bf16", "fp32")
    table = tmp_path / "figures" / "dss" / "cpu" / "local_vs_committed.md"
    assert "your run" in table.read_text()


def test_mixed_configurations_end_make_figures_with_one_line(base, tmp_path, monkeypatch):
    import functools

    from distill_lib import render

    monkeypatch.setenv("DISTILL_RESULTS_ROOT", str(tmp_path / "committed"))
    monkeypatch.setenv("DISTILL_FIGURES_ROOT", str(tmp_path / "figures"))
    readme = tmp_path / "README.md"
    readme.write_text("<!-- results:dss/cpu -->\n<!-- /results:dss/cpu -->\n")
    monkeypatch.setattr(render, "render_all", functools.partial(render.render_all, readme))
    write_result(*_esnli(base, "dss", 0, 60.0), "bf16")
    other, metrics = _esnli(base.replace({"train.lr": 3e-4}), "standard_ft", 1, 50.0)
    write_result(other, metrics, "fp32")
    with pytest.raises(SystemExit) as exit_:
        render.main([])
    message = str(exit_.value.code)
    assert message.startswith("make figures: ") and "\n" not in message
    assert "train.lr" in message and "git checkout -- results/" in message


def test_a_saved_datasets_folder_keeps_its_fingerprint_when_read(tmp_path):
    """Filtering a loaded copy writes cache files into the saved folder; they are not data."""
    from datasets import Dataset, load_from_disk

    from distill_lib.fingerprint import source_digest

    folder = tmp_path / "train"
    Dataset.from_list([{"id": str(i), "label": str(i % 2)} for i in range(8)]).save_to_disk(folder)
    before = source_digest(folder)
    load_from_disk(str(folder)).filter(lambda label: label == "1", input_columns="label")
    assert source_digest(folder) == before
    Dataset.from_list([{"id": "0", "label": "2"}]).save_to_disk(tmp_path / "other")
    assert source_digest(tmp_path / "other") != before


def test_an_eval_setting_added_late_enters_the_key_only_away_from_its_default(base):
    """eval.rank_shared_prefix came after cells had run: false (its default) is not hashed, so
    every earlier cell keeps its key; true is."""
    assert "rank_shared_prefix" not in identity_settings(base)["eval"]
    assert identity_settings(base.replace({"eval.rank_shared_prefix": True}))["eval"][
        "rank_shared_prefix"
    ]
