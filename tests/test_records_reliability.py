"""A cell's files survive kills, corrupt files and a second grid: every finished cell ends with its
result record whatever moment a kill lands; a corrupt metrics.json or record is named and set aside
or skipped; a changed data file gives a new cell; two grids on one root run each cell once."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from distill_lib import claims, experiment, grid, results
from distill_lib.config import load_config
from distill_lib.jsonio import CorruptFileWarning, write_json
from distill_lib.runs import cell_dir, cell_key, result_path

SMALL = {
    "data.dataset": "svamp",
    "method.name": "standard_ft",
    "train.max_steps": 4,
    "train.eval_every": 2,
    "data.train_limit": 16,
    "data.test_limit": 4,
    "data.valid_limit": 4,
}
# what a run measured about itself: its times, and the evaluation passes this process ran (a
# resumed cell does not run again the passes before its checkpoint)
TIMING = {
    "finished",
    "cell_wall_s",
    "train_wall_s",
    "train_tokens_per_s",
    "load_s",
    "passes",
    "peak_rss_gb",
}


class Killed(BaseException):
    """What a kill looks like to the code under test: nothing after it runs."""


def _untimed(value):
    if isinstance(value, dict):
        return {k: _untimed(v) for k, v in value.items() if k not in TIMING}
    if isinstance(value, list):
        return [_untimed(v) for v in value]
    return value


def _cell(root: Path, monkeypatch: pytest.MonkeyPatch):
    """A real cell (records written) whose run folder and local results tree are under root."""
    monkeypatch.setenv("DISTILL_RUN_ROOT", str(root))
    monkeypatch.delenv("DISTILL_RESULTS_ROOT", raising=False)
    monkeypatch.setattr(experiment, "records_results", lambda cfg: True)
    monkeypatch.setattr(results, "git_commit", lambda: "abc")  # others may commit meanwhile
    return load_config("configs/dss.yaml", "smoke", SMALL)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, data_dir):
    with pytest.MonkeyPatch.context() as monkeypatch:
        cfg = _cell(tmp_path_factory.mktemp("uninterrupted"), monkeypatch)
        experiment.run_cell(cfg)
        return json.loads(result_path(cfg).read_text())


def _partial_then_kill(real, name: str):
    """A writer that, for a file called `name`, leaves a partial temporary and dies."""

    def writer(path, *args, **kwargs):
        if Path(path).name == name:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(f"{path}.999.tmp").write_text('{"partial": ')
            raise Killed(name)
        return real(path, *args, **kwargs)

    return writer


def _kill_at(point: str, cfg, monkeypatch: pytest.MonkeyPatch) -> None:
    """Patch the writer of `point` so that the cell dies there."""
    if point == "checkpoint":  # the second checkpoint save dies half-way
        from distill_lib.train import loop

        saves = []

        def save(acc, state, run_dir):
            saves.append(state.step)
            if len(saves) == 2:
                (run_dir / "checkpoint.tmp").mkdir(exist_ok=True)
                raise Killed("checkpoint")
            return real_save(acc, state, run_dir)

        real_save = loop.save_checkpoint
        monkeypatch.setattr(loop, "save_checkpoint", save)
    elif point == "predictions":

        def predictions(out, *args):
            (out / "predictions.jsonl").write_text('{"id": ')
            raise Killed("predictions")

        monkeypatch.setattr(experiment, "write_predictions", predictions)
    elif point == "record":
        monkeypatch.setattr(
            results, "write_json", _partial_then_kill(results.write_json, result_path(cfg).name)
        )
    elif point == "metrics":
        monkeypatch.setattr(
            experiment, "write_json", _partial_then_kill(experiment.write_json, "metrics.json")
        )
    elif point == "checkpoint removal":

        def tidy(out):
            raise Killed("checkpoint removal")

        monkeypatch.setattr(experiment, "tidy_finished", tidy)


@pytest.mark.parametrize(
    "point", ["checkpoint", "predictions", "record", "metrics", "checkpoint removal"]
)
def test_a_kill_at_any_write_resumes_to_the_uninterrupted_record(
    point, uninterrupted, tmp_path, monkeypatch
):
    cfg = _cell(tmp_path, monkeypatch)
    with monkeypatch.context() as patched:
        _kill_at(point, cfg, patched)
        with pytest.raises(Killed):
            experiment.run_cell(cfg)
    resumed = experiment.run_cell(cfg)
    record = json.loads(result_path(cfg).read_text())
    assert _untimed(record) == _untimed(uninterrupted)
    assert resumed == json.loads((cell_dir(cfg) / "metrics.json").read_text())
    leftovers = [p for p in tmp_path.rglob("*.tmp") if p.is_file()]
    assert leftovers == [] and not (cell_dir(cfg) / "checkpoint").exists()
    # the record went to this machine's own tree, never the committed one
    assert result_path(cfg).is_relative_to(tmp_path / "results" / "dss" / "smoke")


@pytest.mark.parametrize("saved", [True, False])
def test_a_finished_cell_without_its_record_writes_it(saved, uninterrupted, tmp_path, monkeypatch):
    """A cell finished by a run that wrote no record: rebuilt from metrics.json and
    test_examples.json, or (a cell finished before that file existed) predictions.jsonl."""
    cfg = _cell(tmp_path, monkeypatch)
    with monkeypatch.context() as patched:
        patched.setattr(experiment, "records_results", lambda cfg: False)
        metrics = experiment.run_cell(cfg)
    assert not result_path(cfg).exists()
    if not saved:
        (cell_dir(cfg) / "test_examples.json").unlink()
    assert experiment.run_cell(cfg) == metrics  # read back, and the record written
    assert _untimed(json.loads(result_path(cfg).read_text())) == _untimed(uninterrupted)


def test_a_corrupt_metrics_file_is_named_set_aside_and_its_cell_recomputed(
    uninterrupted, tmp_path, monkeypatch
):
    cfg = _cell(tmp_path, monkeypatch)
    metrics = experiment.run_cell(cfg)
    path = cell_dir(cfg) / "metrics.json"
    path.write_text('{"cell": "half')
    with pytest.warns(CorruptFileWarning, match=r"metrics\.json: not valid JSON.*set aside as"):
        again = experiment.run_cell(cfg)
    assert _untimed(again) == _untimed(metrics)
    assert len(list(path.parent.glob("metrics.json.corrupt-*"))) == 1


def _fake_cell(calls: list, seconds: float = 0.0):
    """A stand-in for run_cell: reads a finished cell back, else 'trains' and writes metrics."""

    def run(cell):
        done = cell_dir(cell) / "metrics.json"
        if done.exists():
            return json.loads(done.read_text())
        calls.append(cell_key(cell))
        time.sleep(seconds)
        score = {"primary": 1.0}
        metrics = {"cell": cell_key(cell), "best_step": 1, "test_at_best": score}
        return json.loads(write_json(done, {**metrics, "test_at_last": score}).read_text())

    return run


def _grid_cfg(root: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DISTILL_RUN_ROOT", str(root))
    overrides = {
        "grid.datasets": ["svamp", "cqa"],
        "grid.methods": ["standard_ft", "dss"],
        "grid.seeds": [0, 1],
        "grid.untrained": False,
        "grid.students": [],
        "grid.unlabelled_methods": [],
        "grid.fraction_methods": [],
        "grid.extra_seed_methods": [],
    }
    return load_config("configs/dss.yaml", "smoke", overrides)


def test_the_grid_goes_on_past_a_corrupt_metrics_file(tmp_path, monkeypatch):
    cfg = _grid_cfg(tmp_path, monkeypatch)
    calls: list[str] = []
    monkeypatch.setattr(grid, "run_cell", _fake_cell(calls))
    first = grid.run_grid(cfg, log=lambda line: None)
    cells = grid.grid_cells(cfg)
    corrupt = cell_dir(cells[1]) / "metrics.json"
    corrupt.write_text("{")
    with pytest.warns(CorruptFileWarning, match=str(corrupt)):
        second = grid.run_grid(cfg, log=lambda line: None)
    assert len(first) == len(second) == len(cells)
    assert calls == [cell_key(c) for c in cells] + [cell_key(cells[1])]


def test_two_grids_on_one_root_run_each_cell_once(tmp_path, monkeypatch):
    cfg = _grid_cfg(tmp_path, monkeypatch)
    calls: list[str] = []
    monkeypatch.setattr(grid, "run_cell", _fake_cell(calls, seconds=0.2))
    finished: dict[str, list] = {}
    logs: list[str] = []

    def one_grid(name: str) -> None:
        finished[name] = grid.run_grid(cfg, log=logs.append, poll_s=0.05)

    threads = [threading.Thread(target=one_grid, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    keys = sorted(cell_key(c) for c in grid.grid_cells(cfg))
    assert sorted(calls) == keys  # each cell trained once, by one grid or the other
    for name in ("a", "b"):  # and each grid ends with every cell's metrics
        assert sorted(m["cell"] for m in finished[name]) == keys
    assert any("running elsewhere" in line for line in logs)
    assert not list(tmp_path.rglob(claims.CLAIM))  # every claim released


def test_a_dead_holder_claim_is_taken_over_and_another_hosts_is_reported(tmp_path, monkeypatch):
    cfg = _grid_cfg(tmp_path, monkeypatch)
    cells = grid.grid_cells(cfg)
    gone = subprocess.Popen(["true"])
    gone.wait()
    dead = {"pid": gone.pid, "host": socket.gethostname(), "started": "x", "token": "t"}
    write_json(cell_dir(cells[0]) / claims.CLAIM, dead)
    remote = {"pid": 1, "host": "elsewhere.example", "started": "x", "token": "u"}
    write_json(cell_dir(cells[1]) / claims.CLAIM, remote)
    calls: list[str] = []
    monkeypatch.setattr(grid, "run_cell", _fake_cell(calls))
    logs: list[str] = []
    done = grid.run_grid(cfg, log=logs.append, poll_s=0.01)
    assert cell_key(cells[0]) in calls and cell_key(cells[1]) not in calls
    assert len(done) == len(cells) - 1
    line = next(line for line in logs if "not waited for" in line)
    assert "elsewhere.example" in line and f"delete {cell_dir(cells[1]) / claims.CLAIM}" in line


def test_a_changed_data_file_gives_a_new_cell(tmp_path, monkeypatch, data_dir):
    for name in ("one", "two"):
        shutil.copytree(data_dir / "dss" / "svamp", tmp_path / name / "dss" / "svamp")
    monkeypatch.setenv("DISTILL_RUN_ROOT", str(tmp_path / "runs"))
    cfg = load_config(
        "configs/dss.yaml", "smoke", {**SMALL, "data.data_dir": str(tmp_path / "one")}
    )
    moved = cfg.replace({"data.data_dir": str(tmp_path / "two")})
    assert cell_key(moved) == cell_key(cfg)  # the content counts, not the path
    write_json(cell_dir(cfg) / "metrics.json", {"cell": cell_key(cfg), "old": True})
    test_file = tmp_path / "one" / "dss" / "svamp" / "svamp_test.json"
    rows = test_file.read_text().splitlines()
    first = json.loads(rows[0])
    rows[0] = json.dumps({**first, "label": first["label"] + " + 1"})
    test_file.write_text("\n".join(rows) + "\n")
    assert cell_key(cfg) != cell_key(moved)
    ran = []
    monkeypatch.setattr(experiment, "_run_fresh_cell", lambda cell, splits, out: ran.append(out))
    experiment.run_cell(cfg)  # the old metrics are not returned: the cell runs
    assert ran == [cell_dir(cfg)] and not (cell_dir(cfg) / "metrics.json").exists()


def test_corrupt_records_are_named_and_skipped(tmp_path, monkeypatch):
    monkeypatch.setenv("DISTILL_RESULTS_ROOT", str(tmp_path))
    base = load_config("configs/dss.yaml", "cpu")
    results.write_result(base, {"dataset": "esnli"}, "bf16")
    bad = results.write_result(base.replace({"train.seed": 1}), {"dataset": "esnli"}, "bf16")
    bad.write_text('{"key": ')
    stage = tmp_path / "dss" / "cpu" / "stages" / "teacher-x.json"
    stage.parent.mkdir(parents=True)
    stage.write_text("[")
    with pytest.warns(CorruptFileWarning, match=str(bad)):
        assert [r["key"] for r in results.read_results("dss", "cpu")] == [cell_key(base)]
    with pytest.warns(CorruptFileWarning, match=str(stage)):
        assert results.read_stage_results("dss", "cpu") == {}


def test_a_stop_file_ends_the_grid_after_the_running_cell_and_a_rerun_resumes(
    tmp_path, monkeypatch
):
    cfg = _grid_cfg(tmp_path, monkeypatch)
    stale = grid.stop_file(cfg)
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.touch()
    os.utime(stale, (time.time() - 60, time.time() - 60))  # older than the run: ignored
    calls: list[str] = []
    inner, cells = _fake_cell(calls), grid.grid_cells(cfg)

    touched: list[bool] = []

    def run(cell):
        metrics = inner(cell)
        if len(calls) == 2 and not touched:  # once, while the second cell trains
            grid.stop_file(cfg).touch()
            touched.append(True)
        return metrics

    monkeypatch.setattr(grid, "run_cell", run)
    logs: list[str] = []
    stopped = grid.run_grid(cfg, log=logs.append)
    assert calls == [cell_key(c) for c in cells[:2]] and len(stopped) == 2
    assert any(line.startswith("STOP: ") and cell_key(cells[2]) in line for line in logs)
    assert not list(tmp_path.rglob(claims.CLAIM))  # the claim of the stopped grid released
    resumed = grid.run_grid(cfg, log=logs.append)  # the file is now older than this run
    assert len(resumed) == len(cells) and calls == [cell_key(c) for c in cells]
