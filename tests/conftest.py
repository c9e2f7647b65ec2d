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
        pytest.skip("../shared/data is not present beside the project (tests of released data need it)")
    return root


@pytest.fixture(scope="session")
def tiny_tokenizer():
    from distill_lib.models.tiny import train_tokenizer

    words = "the a of answer so is premise hypothesis entailment neutral contradiction explain predict".split()
    texts = [" ".join(words[(i * 7 + j) % len(words)] for j in range(12)) + f" {i} {i * 3}" for i in range(800)]
    return train_tokenizer(texts, vocab_size=400)
