"""Kill -9 a generation run half way, rerun it: every response cached once, none requested again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from fault_server import FaultServer

from distill_lib.config import PROJECT_ROOT
from distill_lib.config_sections import TeacherConfig
from distill_lib.teacher import ResponseCache, generate

COUNT, CONCURRENCY = 60, 4

CHILD = textwrap.dedent("""
    import sys
    from distill_lib.config import TeacherConfig
    from distill_lib.teacher import generate
    base_url, cache_dir, run_dir, count, concurrency = sys.argv[1:6]
    examples = [{"id": str(i), "input": f"resume {i}?", "label": "yes"} for i in range(int(count))]
    cfg = TeacherConfig(model="m", base_url=base_url, template="cqa", concurrency=int(concurrency),
                        cache_dir=cache_dir)
    generate(cfg, examples, run_dir, progress=False)
""")


def cached_texts(cache_dir: Path) -> dict[str, str]:
    cache = ResponseCache(cache_dir)
    return {p.stem: cache.get(p.stem)["text"] for p in cache_dir.rglob("*.json")}


def test_killed_run_resumes_without_losing_or_repaying(tmp_path):
    cache_dir, script = tmp_path / "cache", tmp_path / "child.py"
    script.write_text(CHILD)
    with FaultServer(
        latency_s=0.05, reply=lambda prompt: f" {prompt[-12:]} So the answer is (a) yes."
    ) as server:
        env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
        child = subprocess.Popen(
            [
                sys.executable,
                str(script),
                server.base_url,
                str(cache_dir),
                str(tmp_path / "r1"),
                str(COUNT),
                str(CONCURRENCY),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while (
            len(list(cache_dir.rglob("*.json"))) < 15
            and time.monotonic() < deadline
            and child.poll() is None
        ):
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert child.returncode == -signal.SIGKILL, child.stderr.read().decode()[-2000:]
        before = cached_texts(cache_dir)
        assert 15 <= len(before) < COUNT, "the child must be killed mid-run"
        first_run = dict(server.successes)

        server.reset_counts()
        examples = [{"id": str(i), "input": f"resume {i}?", "label": "yes"} for i in range(COUNT)]
        cfg = TeacherConfig(
            model="m",
            base_url=server.base_url,
            template="cqa",
            concurrency=CONCURRENCY,
            cache_dir=str(cache_dir),
        )
        report = generate(cfg, examples, tmp_path / "r2", progress=False)

    assert report.summary["cached"] == len(before) and report.summary["done"] == COUNT - len(before)
    assert report.summary["failed"] == 0 and report.summary["corrupt_cache_entries"] == 0
    after = cached_texts(cache_dir)
    assert len(after) == COUNT and all(after[k] == v for k, v in before.items())
    # no prompt whose answer was cached is requested again; only the few in flight at the kill are
    # repaid
    assert sum(server.requests.values()) == COUNT - len(before)
    repaid = [p for p in server.successes if first_run.get(p)]
    assert len(repaid) <= CONCURRENCY
    summary = json.loads((tmp_path / "r2" / "teacher_summary.json").read_text())
    assert summary["requests_made"] == COUNT - len(before)
