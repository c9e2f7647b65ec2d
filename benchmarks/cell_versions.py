"""One cell under two versions of the code: a git commit's (in a temporary worktree) and this
checkout's, each in a child process of its own, for bench_cell's before/after comparison.

The child loads `configs/<config>` at the `cpu` profile of its own version, applies the same
overrides (dataset, method, and for a short cell the steps and subset sizes), runs
`experiment.run_cell` under a temporary run root and results root, and writes its metrics, its
process's peak RSS and its test predictions to a JSON file.

Deliberately left out: building the old version's environment (both run in this interpreter, so a
commit whose code needs other packages fails in its child, with its traceback).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from distill_lib.config import PROJECT_ROOT

CHILD = """
import json, resource, sys
import torch
overrides, out, threads = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3])
torch.set_num_threads(threads)
from pathlib import Path
from distill_lib import experiment
from distill_lib.config import load_config
cfg = load_config(sys.argv[4], "cpu").replace(overrides)
metrics = experiment.run_cell(cfg, force=True)
metrics["process_peak_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9
cell = experiment.cell_dir(cfg)
rows = [json.loads(line) for line in (cell / "predictions.jsonl").read_text().splitlines() if line]
json.dump({"metrics": metrics, "predictions": rows}, open(out, "w"))
"""


def run_version(
    root: Path, overrides: dict[str, Any], config: str, threads: int, teacher: bool = False
) -> dict[str, Any]:
    """Run the cell with the code under `root` in a child process (after the paper's teacher stage
    in another when `teacher`); its metrics, predictions and CPU seconds (user + system: less
    moved than wall time by whatever else the machine runs)."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "cell.json"
        env = {
            **os.environ,
            "PYTHONPATH": str(root),
            "DISTILL_RUN_ROOT": str(Path(scratch) / "runs"),
            "DISTILL_RESULTS_ROOT": str(Path(scratch) / "results"),
            "OMP_NUM_THREADS": str(threads),
            "HF_HUB_OFFLINE": "1",
        }
        if teacher:
            stage = ["-m", "distill_lib.cli", "teacher", "--config", config, "--profile", "cpu"]
            if overrides.get("data.data_dir"):
                stage += ["--set", f"data.data_dir={overrides['data.data_dir']}"]
            subprocess.run([sys.executable, *stage], cwd=root, env=env, check=True)
        args = [json.dumps(overrides), str(out), str(threads), config]
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-c", CHILD, *args], cwd=root, env=env, check=True)
        now = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_s = now.ru_utime + now.ru_stime - used.ru_utime - used.ru_stime
        return json.loads(out.read_text()) | {"cpu_s": cpu_s}


class Worktree:
    """A detached git worktree of `ref` in a temporary folder, its model cache shared with this
    checkout's (no second GGUF conversion); removed on exit."""

    def __init__(self, ref: str) -> None:
        self.ref = ref
        self.path = Path(tempfile.mkdtemp(prefix="bench-before-")) / "repo"

    def __enter__(self) -> Path:
        git = ["git", "-C", str(PROJECT_ROOT)]
        subprocess.run(
            [*git, "worktree", "add", "--detach", "-q", str(self.path), self.ref], check=True
        )
        (PROJECT_ROOT / "cache").mkdir(exist_ok=True)
        (self.path / "cache").symlink_to(PROJECT_ROOT / "cache")
        return self.path

    def __exit__(self, *exc: object) -> None:
        git = ["git", "-C", str(PROJECT_ROOT)]
        subprocess.run([*git, "worktree", "remove", "--force", str(self.path)], check=False)


def prediction_agreement(before: list[dict], after: list[dict]) -> dict[str, int] | None:
    """How many test predictions (matched by example id and format) have the same text in both
    versions; None when no row matches."""

    def by_id(rows: list[dict]) -> dict[tuple[str, str], str]:
        return {(str(r["id"]), str(r.get("format"))): r["prediction"] for r in rows if "id" in r}

    old, new = by_id(before), by_id(after)
    shared = old.keys() & new.keys()
    if not shared:
        return None
    return {"compared": len(shared), "same": sum(old[i] == new[i] for i in shared)}
