"""The grid's cell runner: a cell in this process, or in a fresh child process that gives all its
memory back when it ends."""

from __future__ import annotations

import json
import pickle

import pytest

from distill_lib import grid
from distill_lib.config import ConfigError, load_config
from distill_lib.data.records import DataUnavailable
from distill_lib.runs import cell_dir

SMALL = {
    "data.dataset": "svamp",
    "method.name": "standard_ft",
    "train.max_steps": 2,
    "train.eval_every": 2,
    "data.train_limit": 16,
    "data.test_limit": 4,
    "data.valid_limit": 4,
}


def test_a_fresh_process_cell_runs_in_a_child_and_is_then_read_back(
    tmp_path, monkeypatch, data_dir
):
    monkeypatch.setenv("DISTILL_RUN_ROOT", str(tmp_path))  # the spawned child inherits it
    cfg = load_config("configs/dss.yaml", "smoke", {**SMALL, "grid.cell_process": "fresh"})

    def in_this_process(cell):
        raise AssertionError("the cell ran in the grid's own process")

    monkeypatch.setattr(grid, "run_cell", in_this_process)  # not seen by a spawned child
    metrics = grid.cell_runner(cfg)(cfg)
    assert metrics == json.loads((cell_dir(cfg) / "metrics.json").read_text())
    assert metrics["last_step"] == 2 and metrics["n_test"] == 4
    # finished: read back here, no child started
    assert grid.cell_runner(cfg) is in_this_process
    same = cfg.replace({"grid.cell_process": "same", "train.seed": 1})
    assert grid.cell_runner(same) is in_this_process


def test_cell_process_is_checked_and_data_errors_cross_the_process_boundary():
    with pytest.raises(ConfigError, match="grid.cell_process"):
        load_config("configs/dss.yaml", "smoke", {"grid.cell_process": "thread"})
    err = pickle.loads(pickle.dumps(DataUnavailable("no svamp test split in /x")))
    assert isinstance(err, DataUnavailable) and str(err) == "no svamp test split in /x"
