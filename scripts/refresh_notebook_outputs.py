"""Execute notebooks (smoke profile) and keep only the outputs of the cells nbval checks.

Usage: python scripts/refresh_notebook_outputs.py notebooks/01_dss_data.ipynb ... The stored outputs
of `# NBVAL_CHECK_OUTPUT` cells are what `make nbval` compares against; every other output is
cleared so the committed notebooks stay small and diff-friendly.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import nbformat
import papermill

CHECK = "# NBVAL_CHECK_OUTPUT"


def refresh(path: Path, run_root: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        executed_path = Path(tmp) / path.name
        papermill.execute_notebook(
            str(path),
            str(executed_path),
            kernel_name="distill",
            cwd=str(path.parent),
            progress_bar=False,
        )
        executed = nbformat.read(executed_path, as_version=4)
    source = nbformat.read(path, as_version=4)
    by_source = {c.source: c for c in executed.cells if c.cell_type == "code"}
    for cell in source.cells:
        if cell.cell_type != "code":
            continue
        done = by_source.get(cell.source)
        keep = done is not None and cell.source.startswith(CHECK)
        cell.outputs = done.outputs if keep else []
        # nbval: a checked cell must look run
        cell.execution_count = done.execution_count if keep else None
    nbformat.write(source, path)
    print(f"refreshed {path}")


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    root = os.environ.setdefault("DISTILL_RUN_ROOT", "runs/refresh")
    for name in sys.argv[1:]:
        refresh(Path(name), root)
