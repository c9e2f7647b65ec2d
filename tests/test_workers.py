"""`distill run --workers N`: the cores split between the workers, the command each worker runs."""

import sys

import pytest

from distill_lib import workers
from distill_lib.config_values import ConfigError


def test_core_shares_split_evenly_and_refuse_more_workers_than_cores():
    assert workers.core_shares([0, 1], 2) == [[0], [1]]
    assert workers.core_shares([0, 1, 2], 2) == [[0, 1], [2]]
    assert workers.core_shares([4, 5, 6, 7], 1) == [[4, 5, 6, 7]]
    with pytest.raises(ConfigError, match="--workers 3"):
        workers.core_shares([0, 1], 3)


def test_worker_command_drops_only_the_workers_option():
    argv = ["run", "--config", "c.yaml", "--workers", "2", "--set", "train.lr=1e-3"]
    assert workers.worker_command(argv)[3:] == [
        "run",
        "--config",
        "c.yaml",
        "--set",
        "train.lr=1e-3",
    ]
    assert "--workers=2" not in workers.worker_command(["run", "--workers=2"])


def test_run_workers_pins_each_worker_and_reports_the_worst_exit(monkeypatch):
    started = []

    class FakeChild:
        def __init__(self, cmd, env, preexec_fn):
            started.append((cmd, env["OMP_NUM_THREADS"], env["DISTILL_WORKER"]))
            self.code = 0 if len(started) == 1 else 3

        def wait(self):
            return self.code

    monkeypatch.setattr(workers.os, "sched_getaffinity", lambda pid: {0, 1})
    monkeypatch.setattr(workers.subprocess, "Popen", FakeChild)
    assert workers.run_workers(["run", "--config", "c.yaml", "--workers", "2"], 2) == 3
    assert [(threads, number) for _, threads, number in started] == [("1", "1"), ("1", "2")]
    assert all(cmd[:3] == [sys.executable, "-m", "distill_lib.cli"] for cmd, _, _ in started)
    assert all("--workers" not in cmd for cmd, _, _ in started)
