"""Config: profiles, dotted overrides, clear errors, run records."""

from __future__ import annotations

import json

import pytest

from distill_lib.config import PROJECT_ROOT, ConfigError, load_config, project_relative
from distill_lib.runs import run_dir, write_run_record


def test_profiles_and_overrides():
    paper = load_config("configs/dss.yaml", "paper")
    assert (
        paper.student.name,
        paper.train.lr,
        paper.train.global_batch_size,
        paper.train.max_steps,
    ) == ("google/t5-v1_1-base", 5e-5, 64, 10_000)
    assert (
        paper.student.max_input_tokens,
        paper.student.max_target_tokens,
        paper.method.alpha,
    ) == (1024, 256, 0.5)
    assert paper.eval.max_new_tokens == 64 and paper.eval.num_beams == 1
    smoke = load_config(
        "configs/dss.yaml", "smoke", {"train.max_steps": 3, "data": {"dataset": "svamp"}}
    )
    assert (
        smoke.student.name == "tiny-t5"
        and smoke.train.max_steps == 3
        and smoke.data.dataset == "svamp"
    )
    assert smoke.train.lr == 1e-3  # from the profile, not the base
    assert smoke.replace({"method.name": "single_task"}).method.name == "single_task"


def test_a_profile_builds_on_the_one_it_inherits(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text(
        "base: {train: {lr: 1.0e-3, max_steps: 5}}\n"
        "profiles:\n"
        "  cpu: {train: {max_steps: 60, eval_every: 30}, data: {test_limit: 600}}\n"
        "  cpu-long: {inherits: cpu, train: {max_steps: 100}}\n"
        "  longer: {inherits: cpu-long, data: {test_limit: 900}}\n"
    )
    longer = load_config(path, "longer")
    assert (longer.train.lr, longer.train.max_steps, longer.train.eval_every) == (1e-3, 100, 30)
    assert longer.data.test_limit == 900 and longer.profile == "longer"
    assert load_config(path, "cpu").train.max_steps == 60  # the parent is unchanged
    path.write_text("profiles:\n  a: {inherits: b}\n  b: {inherits: a}\n  c: {inherits: z}\n")
    with pytest.raises(ConfigError, match="inherit in a cycle: a -> b -> a"):
        load_config(path, "a")
    with pytest.raises(ConfigError, match="'c' inherits 'z', which is not defined"):
        load_config(path, "c")


def test_errors_name_the_file_and_key(tmp_path):
    with pytest.raises(ConfigError, match="profile 'nope' not defined"):
        load_config("configs/dss.yaml", "nope")
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['train.lrr'\]"):
        load_config("configs/dss.yaml", "smoke", {"train.lrr": 1})
    bad = tmp_path / "bad.yaml"
    bad.write_text("base: {trian: {lr: 1}}\nprofiles: {smoke: {}}\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml.*trian"):
        load_config(bad, "smoke")


def test_run_record_has_config_and_versions(tmp_path):
    cfg = load_config("configs/dss.yaml", "smoke")
    write_run_record(cfg, tmp_path)
    versions = json.loads((tmp_path / "versions.json").read_text())
    import importlib.metadata

    # the installed version, not a placeholder
    assert versions["torch"] == importlib.metadata.version("torch")
    assert versions["transformers"] == importlib.metadata.version("transformers")
    import yaml

    written = yaml.safe_load((tmp_path / "config.yaml").read_text())
    assert written == cfg.to_dict()  # the resolved config, whole, not a summary


def test_run_root_env_override(monkeypatch, tmp_path):
    monkeypatch.setenv("DISTILL_RUN_ROOT", str(tmp_path))
    assert run_dir(load_config("configs/dss.yaml", "smoke")) == tmp_path / "dss" / "smoke"


@pytest.mark.parametrize(
    "key,given,expected",
    [
        ("train.lr", "5e-5", 5e-5),
        ("train.max_steps", "20", 20),
        ("train.max_steps", 1e4, 10_000),
        ("train.lr", 1, 1.0),
        ("train.group_by_length", "false", False),
        ("data.test_limit", None, None),
        ("grid.seeds", ["1", 2], [1, 2]),
    ],
)
def test_values_are_coerced_to_their_field_type(key, given, expected):
    cfg = load_config("configs/dss.yaml", "smoke", {key: given})
    section, name = key.split(".")
    value = getattr(getattr(cfg, section), name)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(
    "key,given,message",
    [
        ("train.lr", "fast", r"train\.lr: 'fast' is not a valid float"),
        ("train.max_steps", 2.5, r"train\.max_steps: 2\.5 is not a valid int"),
        ("train.max_steps", True, r"train\.max_steps: True is not a valid int"),
        ("student.name", 7, r"student\.name: 7 is not a valid str"),
        ("grid.seeds", 3, r"grid\.seeds: 3 is not a list"),
        (
            "data.train_fraction",
            1.5,
            r"data\.train_fraction = 1\.5 is out of range: must be in \(0, 1\]",
        ),
        ("train.lr", 0, r"train\.lr = 0\.0 is out of range"),
        ("train.precision", "fp16", r"train\.precision = 'fp16' is out of range: must be one of"),
        ("method.label_source", "palm", r"method\.label_source = 'palm'"),
        ("grid.fractions", [0.5, 0], r"grid\.fractions holds 0\.0"),
        ("train", 3, r"train is a section"),
    ],
)
def test_bad_values_name_their_key(key, given, message):
    with pytest.raises(ConfigError, match=message):
        load_config("configs/dss.yaml", "smoke", {key: given})


def test_bad_value_in_a_file_names_the_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("base: {train: {lr: quick}}\nprofiles: {smoke: {}}\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml \[profile smoke\]: train\.lr: 'quick'"):
        load_config(bad, "smoke")


def test_cli_set_values_arrive_typed():
    from distill_lib.cli import parse_overrides

    cfg = load_config(
        "configs/dss.yaml", "smoke", parse_overrides(["train.lr=5e-5", "data.train_fraction=0.5"])
    )
    assert cfg.train.lr == 5e-5 and cfg.data.train_fraction == 0.5


@pytest.mark.parametrize(
    "key,value,message",
    [
        (
            "data.dataset",
            "svampp",
            r"data.dataset names \['svampp'\]: dss knows \['cqa', 'svamp', 'anli1', 'esnli'\]",
        ),
        ("method.name", "dsss", r"method.name names \['dsss'\]: dss knows \[.*'dss'"),
        ("grid.methods", ["dss", "sft"], r"grid.methods names \['sft'\]"),
        ("data.train_limit", -5, r"data.train_limit = -5 is out of range"),
    ],
)
def test_names_and_limits_are_checked_before_any_data_loads(key, value, message):
    with pytest.raises(ConfigError, match=message):
        load_config("configs/dss.yaml", "smoke", {key: value})


def test_malformed_yaml_names_the_file_and_line(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("base:\n  train: {lr: 1\nprofiles: {smoke: {}}\n")
    with pytest.raises(ConfigError, match=r"broken\.yaml: not valid YAML at line \d+, column \d+"):
        load_config(bad, "smoke")


def test_json_files_name_their_path_when_broken(tmp_path):
    from distill_lib.runs import read_json

    bad = tmp_path / "MultiArith.json"
    bad.write_text('[{"a": 1},\n {"b": }]')
    with pytest.raises(ValueError, match=r"MultiArith\.json: not valid JSON at line 2, column"):
        read_json(bad)


def test_project_relative_names_paths_below_the_project_as_in_the_repo(tmp_path):
    assert project_relative(PROJECT_ROOT / "cache" / "models" / "smollm2") == "cache/models/smollm2"
    assert project_relative(str(PROJECT_ROOT / "results")) == "results"
    assert project_relative(tmp_path / "x") == str(tmp_path / "x")  # elsewhere: unchanged
    assert project_relative("gpt-3.5-turbo") == "gpt-3.5-turbo"  # a model name, not a path
