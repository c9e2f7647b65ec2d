"""Config: profiles, dotted overrides, clear errors, run records."""

from __future__ import annotations

import json

import pytest

from distill_lib.config import ConfigError, load_config, write_run_record


def test_profiles_and_overrides():
    paper = load_config("configs/dss.yaml", "paper")
    assert (paper.student.name, paper.train.lr, paper.train.global_batch_size, paper.train.max_steps) == (
        "google/t5-v1_1-base", 5e-5, 64, 10_000)
    assert (paper.student.max_input_tokens, paper.student.max_target_tokens, paper.method.alpha) == (1024, 256, 0.5)
    assert paper.eval.max_new_tokens == 64 and paper.eval.num_beams == 1
    smoke = load_config("configs/dss.yaml", "smoke", {"train.max_steps": 3, "data": {"dataset": "svamp"}})
    assert smoke.student.name == "tiny-t5" and smoke.train.max_steps == 3 and smoke.data.dataset == "svamp"
    assert smoke.train.lr == 1e-3  # from the profile, not the base
    assert smoke.replace({"method.name": "single_task"}).method.name == "single_task"


def test_errors_name_the_file_and_key(tmp_path):
    with pytest.raises(ConfigError, match="profile 'nope' not defined"):
        load_config("configs/dss.yaml", "nope")
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['lrr'\]"):
        load_config("configs/dss.yaml", "smoke", {"train.lrr": 1})
    bad = tmp_path / "bad.yaml"
    bad.write_text("base: {trian: {lr: 1}}\nprofiles: {smoke: {}}\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml.*trian"):
        load_config(bad, "smoke")


def test_run_record_has_config_and_versions(tmp_path):
    cfg = load_config("configs/dss.yaml", "smoke")
    write_run_record(cfg, tmp_path)
    versions = json.loads((tmp_path / "versions.json").read_text())
    assert "torch" in versions and "transformers" in versions
    assert "tiny-t5" in (tmp_path / "config.yaml").read_text()


def test_run_root_env_override(monkeypatch, tmp_path):
    monkeypatch.setenv("DISTILL_RUN_ROOT", str(tmp_path))
    assert load_config("configs/dss.yaml", "smoke").run_dir == tmp_path / "dss" / "smoke"
