"""Bad input ends in one line naming the file, row, key or value, exit status 2, no traceback: from
the command line (`python -m distill_lib.cli`) and from `scripts/reproduce.py`, each run in a
subprocess. Also the in-process checks those lines come from (empty split, cache root)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from datasets import Dataset, DatasetDict

from distill_lib.config_sections import DataConfig
from distill_lib.config_values import ConfigError
from distill_lib.data.records import limit_splits
from distill_lib.teacher import ResponseCache

ROOT = Path(__file__).resolve().parent.parent
CQA_ROW = {"id": "q1", "question": "Where?", "choices": ["a", "b", "c", "d", "e"], "answer": "a"}


def run(command: list[str], run_root: Path | None) -> subprocess.CompletedProcess:
    """`python <command>` in the project root; DISTILL_RUN_ROOT set to `run_root` unless None."""
    env = {"HF_HUB_OFFLINE": "1", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    if run_root is not None:
        env["DISTILL_RUN_ROOT"] = str(run_root)
    return subprocess.run(
        [sys.executable, *command], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env
    )


def assert_one_line(result: subprocess.CompletedProcess, *names: str) -> str:
    """Exit 2 and a single `error: ...` line on stderr that names each of `names`."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr and len(lines) == 1, result.stderr[-2000:]
    assert lines[0].startswith("error: ") and all(name in lines[0] for name in names), lines[0]
    return lines[0]


def cqa_cell(data_dir: Path) -> list[str]:
    return [
        "-m",
        "distill_lib.cli",
        "run",
        "--config",
        "configs/dss.yaml",
        "--cell",
        "--set",
        "data.dataset=cqa",
        f"data.data_dir={data_dir}",
    ]


def cqa_train_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "data" / "dss" / "cqa" / "cqa_train.json"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    return path


def test_a_malformed_row_names_the_file_and_line(tmp_path):
    good = json.dumps(CQA_ROW)
    path = cqa_train_file(tmp_path, f'{good}\n{good}\n{{"id": "q3", "question\n')
    result = run(cqa_cell(tmp_path / "data"), tmp_path / "runs")
    assert_one_line(result, f"{path}, line 3: not valid JSON")


def test_a_row_that_is_not_an_object_names_the_file_and_line(tmp_path):
    path = cqa_train_file(tmp_path, f"{json.dumps(CQA_ROW)}\n[1, 2]\n")
    result = run(cqa_cell(tmp_path / "data"), tmp_path / "runs")
    assert_one_line(result, f"{path}, line 2: expected a JSON object")


def test_an_empty_data_file_is_named(tmp_path):
    path = cqa_train_file(tmp_path, "\n")
    result = run(cqa_cell(tmp_path / "data"), tmp_path / "runs")
    assert_one_line(result, f"{path}: no rows")


def test_an_empty_split_names_the_dataset_and_split():
    splits = DatasetDict(
        train=Dataset.from_list([{"id": "1"}]),
        valid=Dataset.from_list([]),
        test=Dataset.from_list([]),
    )
    with pytest.raises(ConfigError, match="data.dataset = 'cqa': the valid split has no rows"):
        limit_splits(splits, DataConfig(dataset="cqa"))


@pytest.mark.parametrize("command", ["run", "teacher"])
def test_an_unwritable_run_root_is_named(tmp_path, command):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    args = ["-m", "distill_lib.cli", command, "--config", "configs/dss.yaml"]
    result = run(args, blocker / "runs")
    assert_one_line(result, f"DISTILL_RUN_ROOT={blocker / 'runs'}", "cannot write the run folder")


def test_an_unwritable_run_root_from_the_config_is_named(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    args = ["-m", "distill_lib.cli", "run", "--config", "configs/dss.yaml"]
    result = run([*args, "--set", f"run_root={blocker}"], None)
    assert_one_line(result, f"run_root = '{blocker}'", "Not a directory")


def test_an_unknown_teacher_template_is_named(tmp_path):
    args = ["-m", "distill_lib.cli", "teacher", "--config", "configs/dss.yaml"]
    result = run([*args, "--set", "teacher.template=nope"], tmp_path / "runs")
    assert_one_line(result, "teacher.template", "unknown prompt template 'nope'", "known: [")


def test_a_teacher_cache_dir_that_is_a_file_is_named(tmp_path, data_dir):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    args = ["-m", "distill_lib.cli", "teacher", "--config", "configs/dss.yaml"]
    result = run([*args, "--set", f"teacher.cache_dir={blocker}"], tmp_path / "runs")
    assert_one_line(result, f"teacher.cache_dir = '{blocker}'", "is a file, not a folder")


def test_a_cache_root_that_is_a_file_is_a_config_error(tmp_path):
    (tmp_path / "cache").write_text("")
    with pytest.raises(ConfigError, match="is a file, not a folder"):
        ResponseCache(tmp_path / "cache")


def test_reproduce_refuses_an_unknown_profile(tmp_path):
    result = run(["scripts/reproduce.py", "cpuu"], tmp_path / "runs")
    line = assert_one_line(result, "unknown profile 'cpuu'", "known profiles:")
    assert all(name in line for name in ("smoke", "cpu", "offline", "paper"))
    assert "SKIPPED" not in result.stdout


def test_reproduce_refuses_unwritable_runs_folders(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = run(["scripts/reproduce.py", "smoke", "--runs", str(blocker)], tmp_path / "runs")
    assert_one_line(result, f"--runs {blocker}: cannot write", "Not a directory")
    result = run(["scripts/reproduce.py", "smoke"], blocker / "runs")
    assert_one_line(result, "DISTILL_RUN_ROOT: cannot write", str(blocker / "runs"))


def test_a_dss_row_without_a_field_names_dataset_split_row_and_field():
    from distill_lib.data.records import DataFormatError
    from distill_lib.papers.dss.data import _build_record

    with pytest.raises(DataFormatError, match=r"cqa/train, row 3: missing field 'choices'"):
        _build_record("cqa", "train", {"question": "q", "answer": "a"}, 3)
    with pytest.raises(DataFormatError, match=r"esnli/test, row 0: .*expected 0, 1 or 2"):
        _build_record("esnli", "test", {"premise": "p", "hypothesis": "h", "label": 7}, 0)


@pytest.mark.parametrize("experiment", ["dss", "math"])
def test_a_report_before_any_training_says_which_notebook_comes_first(
    experiment, tmp_path, monkeypatch
):
    """A figures or evaluation notebook run alone on a fresh clone stops with one line naming the
    training notebook to run first, not a KeyError from an empty table."""
    from distill_lib.config import load_config
    from distill_lib.plots.results import NothingToReport, cells_frame

    monkeypatch.setenv("DISTILL_RUN_ROOT", str(tmp_path))
    monkeypatch.delenv("DISTILL_RESULTS_ROOT", raising=False)
    cfg = load_config(f"configs/{experiment}.yaml", "smoke")
    with pytest.raises(NothingToReport, match=rf"notebooks/\*_{experiment}_train.ipynb"):
        cells_frame(cfg)
