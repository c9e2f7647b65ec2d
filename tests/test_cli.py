"""The command line: profiles listed from the config, errors as one line naming the key, no
traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "distill_lib.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"},
    )


@pytest.mark.parametrize(
    "args,message",
    [
        (
            ["run", "--config", "configs/dss.yaml", "--set", "data.dataset=svampp"],
            "data.dataset names ['svampp']",
        ),
        (
            ["run", "--config", "configs/dss.yaml", "--profile", "gpu"],
            "no profile 'gpu'; choose from ['smoke', 'cpu'",
        ),
        (["run", "--config", "configs/nope.yaml"], "config file not found: configs/nope.yaml"),
        (
            ["teacher", "--config", "configs/dss.yaml", "--set", "train.lr=fast"],
            "train.lr: 'fast' is not a valid float",
        ),
        (
            ["run", "--config", "configs/dss.yaml", "--set", "train.lr"],
            "--set expects key=value, got 'train.lr'",
        ),
        (
            ["run", "--config", "configs/dss.yaml", "--set", "method.name=dsss"],
            "method.name names ['dsss']: dss knows ['standard_ft', 'standard_distill', 'dss',",
        ),
        (
            ["run", "--config", "configs/dss.yaml", "--set", "data.train_limit=-5"],
            "data.train_limit = -5 is out of range: must be >= 1 or null",
        ),
    ],
)
def test_errors_are_one_line_without_traceback(args, message):
    result = cli(*args)
    assert result.returncode == 2 and message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_profiles_are_listed_with_what_they_are():
    result = cli("profiles", "--config", "configs/dss.yaml")
    lines = dict(line.split(None, 1) for line in result.stdout.strip().splitlines())
    assert (
        list(lines) == ["smoke", "cpu", "cpu-long", "offline", "paper"] and "tiny" in lines["smoke"]
    )


def test_help_names_every_command_and_shows_examples():
    result = cli("--help")
    assert result.returncode == 0 and all(
        c in result.stdout for c in ("teacher", "run", "profiles", "examples:")
    )


@pytest.mark.parametrize("command", ["run", "teacher", "profiles"])
def test_malformed_yaml_is_one_line_naming_the_file_and_line(tmp_path, command):
    broken = tmp_path / "broken.yaml"
    broken.write_text("base:\n  name: dss\n  data: [unclosed\n")
    result = cli(command, "--config", str(broken))
    assert result.returncode == 2 and f"{broken}: not valid YAML at line" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
