"""The grid's cell runner: a cell in this process, or in a fresh child process that gives all its
memory back when it ends."""

from __future__ import annotations

import json
import pickle

import pytest

from distill_lib import grid
from distill_lib.config import ConfigError, load_config
from distill_lib.data.records import DataUnavailable, StageMissing
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


def test_a_missing_stage_stops_the_grid_once_and_other_missing_data_skips_the_cell(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("DISTILL_RUN_ROOT", str(tmp_path))
    cfg = load_config("configs/dss.yaml", "smoke", {**SMALL, "grid.cell_process": "same"})
    calls = []

    def stage_missing(cell):
        calls.append(cell)
        raise StageMissing("no verified teacher data: run the teacher stage first (distill ...)")

    monkeypatch.setattr(grid, "run_cell", stage_missing)
    with pytest.raises(StageMissing, match="run the teacher stage first"):
        grid.run_grid(cfg, log=lambda line: None)
    assert len(calls) == 1  # not once per cell
    assert not list(tmp_path.rglob("skipped.json"))  # the cells run once the stage exists

    def data_missing(cell):
        calls.append(cell)
        raise DataUnavailable(f"no {cell.data.dataset} split here")

    monkeypatch.setattr(grid, "run_cell", data_missing)
    logs: list[str] = []
    assert grid.run_grid(cfg, log=logs.append) == []
    cells = len(grid.grid_cells(cfg))
    assert cells > 1 and len(calls) == 1 + cells
    assert len(list(tmp_path.rglob("skipped.json"))) == cells
    assert sum("SKIPPED" in line for line in logs) == cells


def test_a_cell_with_its_own_record_is_finished_without_a_run_folder(tmp_path, monkeypatch):
    """A fresh machine has no run folders: a cell whose committed record holds its key (same
    settings, same data) is read back and never run again; a record of other settings is not."""
    from distill_lib import results

    monkeypatch.setenv("DISTILL_RUN_ROOT", str(tmp_path / "runs"))
    monkeypatch.setenv("DISTILL_RESULTS_ROOT", str(tmp_path / "results"))
    monkeypatch.setattr(results, "records_results", lambda cfg: True)  # smoke cells record nothing
    cfg = load_config("configs/dss.yaml", "smoke", {**SMALL, "grid.cell_process": "same"})
    first, *others = grid.grid_cells(cfg)
    recorded = {"cell": grid.cell_key(first), "best_step": 2, "test_at_last": {"primary": 0.5}}
    results.write_result(first, recorded, "fp32")
    ran = []

    def run(cell):
        ran.append(grid.cell_key(cell))
        return {"cell": grid.cell_key(cell), "best_step": 2, "test_at_last": {"primary": 0.25}}

    monkeypatch.setattr(grid, "run_cell", run)
    logs: list[str] = []
    got = grid.run_grid(cfg, log=logs.append)
    assert ran == [grid.cell_key(c) for c in others]
    assert got[0] == recorded and not cell_dir(first).exists()
    assert any("its record" in line and grid.cell_key(first) in line for line in logs)

    path = results.result_path(first)  # a record whose key is not the cell's: the cell runs
    path.write_text(json.dumps({**json.loads(path.read_text()), "key": "svamp-other"}))
    ran.clear()
    monkeypatch.setenv("DISTILL_RUN_ROOT", str(tmp_path / "runs2"))
    grid.run_grid(cfg, log=lambda line: None)
    assert ran[0] == grid.cell_key(first)
