"""Shared fixtures: the offline switch, the data dir, and a tiny tokenizer trained locally."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never wait on an unreachable hub in tests

from distill_lib.data.records import resolve_data_dir  # noqa: E402


@pytest.fixture(scope="session")
def data_dir():
    root = resolve_data_dir(None)
    if root is None:
        reason = "../shared/data is not present beside the project (tests of released data need it)"
        pytest.skip(reason)
    return root


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With DISTILL_NO_SKIPS=1 (CI), any skipped test fails the run: nothing is skipped silently
    there."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if os.environ.get("DISTILL_NO_SKIPS") == "1" and skipped:
        reasons = sorted(
            {
                str(r.longrepr[-1]) if isinstance(r.longrepr, tuple) else str(r.longrepr)
                for r in skipped
            }
        )
        print(
            f"\nDISTILL_NO_SKIPS=1 and {len(skipped)} test(s) were skipped: "
            + " | ".join(reasons)[:2000]
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def tiny_tokenizer():
    from distill_lib.models.tiny import train_tokenizer

    words = (
        "the a of answer so is premise hypothesis entailment neutral contradiction explain predict"
    ).split()
    texts = [
        " ".join(words[(i * 7 + j) % len(words)] for j in range(12)) + f" {i} {i * 3}"
        for i in range(800)
    ]
    return train_tokenizer(texts, vocab_size=400)
