"""Runs one tiny smoke cell end to end (`run_cell`) and logs, per process, every file the cell
writes; run by tests/test_multiprocess.py under `accelerate launch --num_processes 2`.

    python tests/multiprocess_cell.py OUT_DIR

The cell's run record, predictions, metrics and result record are logged with the index of the
process that wrote them (OUT_DIR/cell-writes-<rank>.txt). A smoke cell never writes a result
record, so this script lets it (`records_results` answers yes) to check that path too; the
result goes under OUT_DIR/results.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from distill_lib import experiment
from distill_lib.config import load_config
from distill_lib.train.loop import process_state

out = Path(sys.argv[1])
os.environ["DISTILL_RUN_ROOT"] = str(out / "runs")
os.environ["DISTILL_RESULTS_ROOT"] = str(out / "results")
rank = process_state().process_index
writes = out / f"cell-writes-{rank}.txt"


def logged(name: str, function):
    def wrapper(*args, **kwargs):
        with open(writes, "a") as log:
            log.write(f"{name}\n")
        return function(*args, **kwargs)

    return wrapper


for name in ("write_run_record", "write_json", "write_predictions", "write_result"):
    setattr(experiment, name, logged(name, getattr(experiment, name)))
experiment.records_results = lambda cfg: True
cfg = load_config(
    "configs/dss.yaml",
    "smoke",
    {
        "data.dataset": "cqa",
        "method.name": "dss",
        "student.name": "tiny-causal",
        "train.max_steps": 2,
        "train.global_batch_size": 4,
        "train.per_device_batch_size": 2,
        "train.eval_every": 2,
        "data.train_limit": 8,
        "data.valid_limit": 4,
        "data.test_limit": 4,
    },
)
metrics = experiment.run_cell(cfg)
(out / f"cell-done-{rank}").write_text(str(metrics["test_at_best"]["primary"]))
