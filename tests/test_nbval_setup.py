"""The nbval run: the root conftest raises nbval's fixed 5 s wait for a cell's late output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PLUGIN = """
import pytest
@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    print("OUTPUT_TIMEOUTS", sorted({getattr(i, "output_timeout", None) for i in items}))
"""


def test_nbval_cells_wait_longer_than_five_seconds_for_late_output(tmp_path):
    (tmp_path / "show_timeouts.py").write_text(PLUGIN)
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    args = ["-p", "no:cacheprovider", "-p", "show_timeouts", "--nbval-lax", "--collect-only"]
    out = subprocess.run(
        [sys.executable, "-m", "pytest", *args, "-q", "notebooks/01_dss_data.ipynb"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("OUTPUT_TIMEOUTS"))
    assert line == "OUTPUT_TIMEOUTS [120]"
