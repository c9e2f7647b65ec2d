"""The hub only when needed: an unreachable hub fails once, fast, with what was wanted and the
alternatives."""

from __future__ import annotations

import time

import pytest

from distill_lib import hub
from distill_lib.config_sections import StudentConfig


@pytest.fixture
def unreachable(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    # the discard port: nothing listens there
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    hub._probe.cache_clear()
    yield
    hub._probe.cache_clear()


def test_offline_flag_and_unreachable_host_are_named(monkeypatch, unreachable):
    assert "127.0.0.1:9 cannot be reached" in hub.hub_unavailable()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert hub.hub_unavailable() == "HF_HUB_OFFLINE=1 is set"


def test_a_hub_student_fails_fast_with_the_offline_alternatives(unreachable):
    from distill_lib.models.loading import load_student

    started = time.monotonic()
    with pytest.raises(
        hub.HubUnavailable, match=r"student 'google/t5-v1_1-base'.*Offline students: pip:smollm2"
    ):
        load_student(StudentConfig(name="google/t5-v1_1-base"))
    assert time.monotonic() - started < 2 * hub.HUB_TIMEOUT_S


def test_missing_local_data_tries_the_hub_once_and_fast(unreachable, data_dir):
    """ANLI-R1 train is not in the shared data: the hub is the only source, and its failure is
    quick."""
    from distill_lib.data.records import DataUnavailable
    from distill_lib.papers.dss.data import load_split_records

    started = time.monotonic()
    for _ in range(3):  # the probe answers from its cache after the first attempt
        with pytest.raises(
            DataUnavailable, match=r"anli1/train: .*anli\[train_r1\] cannot be used: 127\.0\.0\.1:9"
        ):
            load_split_records("anli1", "train", data_dir)
    assert time.monotonic() - started < 2 * hub.HUB_TIMEOUT_S
