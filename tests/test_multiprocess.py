"""The scale-out path: `accelerate launch --multi_gpu --num_processes 2` on the CPU (gloo) trains to
the same weights as one process with the same global batch, and only one process writes checkpoints,
best weights, a cell's metrics, predictions and result record."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "multiprocess_train.py"
CELL_SCRIPT = ROOT / "tests" / "multiprocess_cell.py"


def launch(out: Path, processes: int, script: Path = SCRIPT) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    if processes == 1:
        command = [sys.executable, str(script), str(out), "8"]
    else:
        # --multi_gpu selects accelerate's torch.distributed launcher; without a GPU the library
        # forms a gloo group on the CPU (train.loop.process_state), which is what this test runs
        command = [
            sys.executable,
            "-m",
            "accelerate.commands.launch",
            "--multi_gpu",
            "--num_processes",
            str(processes),
            "--num_machines",
            "1",
            "--mixed_precision",
            "no",
            "--dynamo_backend",
            "no",
            str(script),
            str(out),
            "4",
        ]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]


def test_two_processes_train_like_one_and_one_writes(tmp_path):
    launch(tmp_path / "one", 1)
    launch(tmp_path / "two", 2)
    assert sorted(p.name for p in (tmp_path / "two").glob("process-*")) == [
        "process-0-of-2",
        "process-1-of-2",
    ]
    single = torch.load(tmp_path / "one" / "weights.pt")
    double = torch.load(tmp_path / "two" / "weights.pt")
    assert single.keys() == double.keys()
    for name in single:
        torch.testing.assert_close(single[name], double[name], rtol=1e-4, atol=1e-5, msg=name)
    logs = {p.name: p.read_text().split() for p in (tmp_path / "two").glob("writes-*.txt")}
    assert list(logs) == ["writes-0.txt"]  # process 1 never wrote a checkpoint or best weights
    assert sorted(set(logs["writes-0.txt"])) == ["best", "checkpoint"]


def test_two_processes_run_one_cell_and_one_writes_its_files(tmp_path, data_dir):
    # data_dir: the cell trains on the shared CQA data, like every released-data test
    launch(tmp_path, 2, CELL_SCRIPT)
    # both processes trained and evaluated the cell, and agree on its score
    scores = {p.read_text() for p in tmp_path.glob("cell-done-*")}
    assert len(list(tmp_path.glob("cell-done-*"))) == 2 and len(scores) == 1
    logs = {p.name: p.read_text().split() for p in tmp_path.glob("cell-writes-*.txt")}
    assert list(logs) == ["cell-writes-0.txt"]  # process 1 wrote nothing
    assert sorted(set(logs["cell-writes-0.txt"])) == [
        "write_json",
        "write_predictions",
        "write_result",
        "write_run_record",
    ]
    assert len(list((tmp_path / "results").rglob("*.json"))) == 1
