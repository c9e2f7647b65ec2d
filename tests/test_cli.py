"""The command line: profiles listed from the config, errors as one line naming the key, no
traceback."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


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
    # in file order; profiles added later (e.g. sweeps) may follow
    assert list(lines)[:2] == ["smoke", "cpu"] and "tiny" in lines["smoke"]
    assert {"cpu-long", "offline", "paper"} <= set(lines)


def test_help_names_every_command_and_shows_examples():
    result = cli("--help")
    assert result.returncode == 0 and all(
        c in result.stdout for c in ("teacher", "run", "profiles", "examples:")
    )


@pytest.mark.parametrize("command", ["teacher", "run", "profiles"])
def test_every_command_prints_its_examples_as_typed(command):
    """Shell continuations kept: a line ending in ` \\` followed by its indented continuation."""
    from distill_lib.cli import EXAMPLES

    own, top = cli(command, "--help").stdout, cli("--help").stdout
    lines = EXAMPLES[command].strip("\n").splitlines()
    assert all(line in own.splitlines() and line in top.splitlines() for line in lines), own
    assert any(line.strip().startswith(f"distill {command} --config") for line in lines)
    continued = [i for i, line in enumerate(lines) if line.endswith(" \\")]
    indent = [len(line) - len(line.lstrip()) for line in lines]
    assert continued and all(indent[i + 1] > indent[i] for i in continued), lines
    if command == "run":
        assert "distill run --config configs/dss.yaml --profile paper --cell \\\n" in own


def reproduce_module():
    spec = importlib.util.spec_from_file_location("reproduce", ROOT / "scripts" / "reproduce.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reproduce_with_an_unknown_profile_exits_2_listing_the_known_ones():
    result = subprocess.run(
        [sys.executable, "scripts/reproduce.py", "cpuu"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("error: unknown profile 'cpuu'; known profiles: smoke, cpu,")
    assert len(result.stderr.strip().splitlines()) == 1


def test_reproduce_interrupted_says_the_same_command_resumes(monkeypatch, capsys):
    module = reproduce_module()

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(module, "reproduce", interrupted)
    with pytest.raises(SystemExit) as exit_info:
        module.main(["smoke"])
    stderr = capsys.readouterr().err
    assert exit_info.value.code == 130 and len(stderr.strip().splitlines()) == 1
    assert "kept" in stderr and "same command again to resume" in stderr


@pytest.mark.parametrize("command", ["run", "teacher", "profiles"])
def test_malformed_yaml_is_one_line_naming_the_file_and_line(tmp_path, command):
    broken = tmp_path / "broken.yaml"
    broken.write_text("base:\n  name: dss\n  data: [unclosed\n")
    result = cli(command, "--config", str(broken))
    assert result.returncode == 2 and f"{broken}: not valid YAML at line" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("ename,status", [("ConfigError", 2), ("RuntimeError", 1)])
def test_reproduce_a_failing_notebook_is_one_line_naming_it(monkeypatch, tmp_path, ename, status):
    import papermill

    module = reproduce_module()

    def failing(*args, **kwargs):
        raise papermill.PapermillExecutionError(3, 3, "load()", ename, "data.csv, line 3:\nbad", [])

    monkeypatch.setattr(papermill, "execute_notebook", failing)
    with pytest.raises(module.Stopped) as stopped:
        module.run_notebook(Path("03_x.ipynb"), tmp_path / "03_x.ipynb", "smoke", "distill")
    message = str(stopped.value)
    assert stopped.value.status == status and "\n" not in message
    assert message.startswith(f"03_x.ipynb stopped: {ename}: data.csv, line 3: bad (executed copy:")
