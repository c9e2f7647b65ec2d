"""pytest hooks for the nbval run over notebooks/ (`make nbval`).

nbval waits a fixed 5 s for each IOPub message once a cell has replied, and fails the cell when the
gap is longer. A training cell that drew many progress bars can still be delivering its output
seconds after its reply (a 7.6 s gap was measured on a 2-core CPU), so a slow machine failed a cell
that had run correctly. The wait is raised here; a kernel that sends nothing at all still fails.

Deliberately left out: the unit tests' fixtures (tests/conftest.py).
"""

from __future__ import annotations

import pytest

NBVAL_OUTPUT_TIMEOUT_S = 120


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if hasattr(item, "output_timeout"):  # nbval's IPyNbCell
            item.output_timeout = NBVAL_OUTPUT_TIMEOUT_S
