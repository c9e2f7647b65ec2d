"""train.heap.PeakRss: the peak it reports covers memory that was held and freed again."""

from __future__ import annotations

import sys
import time

import pytest

from distill_lib.train.heap import PeakRss, resident_gb


@pytest.mark.skipif(sys.platform != "linux", reason="resident_gb reads /proc/self/statm")
def test_peak_rss_keeps_a_freed_allocation_until_reset() -> None:
    rss = PeakRss(every_s=0.001)
    base = resident_gb()
    block = bytearray(512 * 2**20)  # 512 MB, touched (bytearray zero-fills)
    time.sleep(0.05)
    del block
    time.sleep(0.02)
    assert rss.peak >= base + 0.4
    rss.reset()
    assert rss.peak < base + 0.4  # glibc maps a block this large on its own and unmaps it on free
