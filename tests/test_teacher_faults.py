"""The teacher client against a fault-injecting server: nothing lost, nothing paid twice, secrets
never leak."""

from __future__ import annotations

import json
import time
from dataclasses import replace

import pytest
from fault_server import FaultServer

from distill_lib.config_sections import TeacherConfig
from distill_lib.prompts import get_template
from distill_lib.teacher import RetryPolicy, generate, scrub

SECRET = "sk-test-SECRET-0123456789abcdef"
FAST_RETRY = RetryPolicy(max_retries=3, base_s=0.02, cap_s=0.1)
ACTIONS = ["ok", "429", "500", "hang", "drop", "malformed", "400", "401echo"]


def examples(count: int, tag: str = "q") -> list[dict]:
    return [
        {
            "id": f"{tag}{i}",
            "input": f"{tag} number {i}?\nAnswer Choices:\n(a) yes\n(b) no",
            "label": "yes",
        }
        for i in range(count)
    ]


def fault_plan(prompt: str, attempt: int) -> str:
    """First attempt by example number: every fault once; 400 and 401 never recover (not
    retryable).
    """
    number = int(prompt.split("number ")[1].split("?")[0])
    action = ACTIONS[number % len(ACTIONS)]
    return action if attempt == 1 or action in ("400", "401echo") else "ok"


@pytest.fixture()
def teacher_cfg(tmp_path, monkeypatch):
    monkeypatch.setenv("FAULT_TEST_KEY", SECRET)
    return TeacherConfig(
        model="fault-model",
        base_url="",
        api_key_env="FAULT_TEST_KEY",
        template="cqa",
        timeout_s=0.5,
        concurrency=6,
        cache_dir=str(tmp_path / "cache"),
    )


def test_every_request_ends_done_or_failed_with_reason(teacher_cfg, tmp_path):
    with FaultServer(fault_plan, hang_s=1.0) as server:
        cfg = replace(teacher_cfg, base_url=server.base_url)
        report = generate(cfg, examples(24), tmp_path / "run", retry=FAST_RETRY, progress=False)
        by_status = {row["id"]: row["status"] for row in report.rows}
        assert len(by_status) == 24
        failed = {f"q{i}" for i in range(24) if ACTIONS[i % len(ACTIONS)] in ("400", "401echo")}
        assert {k for k, v in by_status.items() if v == "failed"} == failed
        reasons = {f["id"]: f["reason"] for f in report.summary["failures"]}
        assert all("400" in reasons[k] or "401" in reasons[k] for k in failed)
        for row in report.rows:  # each prompt answered successfully exactly once, failures never
            assert server.successes[prompt_of(report, row["id"])] == (
                0 if row["id"] in failed else 1
            ), row["id"]
        assert report.summary["done"] == 24 - len(failed) and report.summary["parse_failures"] == 0

        server.reset_counts()  # a rerun retries only the failed ones
        again = generate(cfg, examples(24), tmp_path / "run", retry=FAST_RETRY, progress=False)
        assert set(server.requests) == {prompt_of(report, k) for k in failed}
        assert again.summary["cached"] == 24 - len(failed) and again.summary["failed"] == len(
            failed
        )


def prompt_of(report, example_id: str) -> str:
    """What the fault server counts for this example: the rendered user message."""
    example = next(e for e in report.examples if e["id"] == example_id)
    return get_template("cqa").render(example)[-1]["content"]


def test_retry_after_is_honoured(teacher_cfg, tmp_path):
    def plan(prompt: str, attempt: int) -> str:
        return "429" if attempt == 1 else "ok"

    with FaultServer(plan, retry_after="0.4") as server:
        cfg = replace(teacher_cfg, base_url=server.base_url)
        report = generate(cfg, examples(2), tmp_path / "run", retry=FAST_RETRY, progress=False)
        assert report.summary["done"] == 2 and report.summary["requests_made"] == 4
        for times in server.times.values():
            assert len(times) == 2 and times[1] - times[0] >= 0.38


def test_retries_give_up_after_max_retries_with_reason(teacher_cfg, tmp_path):
    with FaultServer(lambda prompt, attempt: "500") as server:
        cfg = replace(teacher_cfg, base_url=server.base_url)
        report = generate(cfg, examples(3), tmp_path / "run", retry=FAST_RETRY, progress=False)
        assert report.summary["failed"] == 3 and report.summary["requests_made"] == 3 * 4
        assert all(
            "HTTP 500" in f["reason"] and "4 attempt" in f["reason"]
            for f in report.summary["failures"]
        )
        assert set(server.requests.values()) == {4}


def test_api_key_never_leaks(teacher_cfg, tmp_path):
    """The server echoes the key in its 401 message; run dir, cache and report must not contain
    it.
    """
    with FaultServer(lambda prompt, attempt: "401echo" if "number 0" in prompt else "ok") as server:
        cfg = replace(teacher_cfg, base_url=server.base_url)
        report = generate(cfg, examples(3), tmp_path / "run", retry=FAST_RETRY, progress=False)
    assert report.summary["failed"] == 1 and "401" in report.summary["failures"][0]["reason"]
    assert "[redacted]" in report.summary["failures"][0]["reason"]
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) >= 4  # outputs, summary, two cache entries
    for path in files:
        assert SECRET not in path.read_text(), path
    assert SECRET not in json.dumps(report.summary) + json.dumps(report.rows)
    assert (
        scrub(f"key {SECRET} and sk-otherkey123456", (SECRET,)) == "key [redacted] and [redacted]"
    )


def test_n_samples_fan_out_when_server_ignores_n(teacher_cfg, tmp_path):
    with FaultServer(honour_n=False) as server:
        cfg = replace(teacher_cfg, base_url=server.base_url, n=3)
        report = generate(cfg, examples(2), tmp_path / "run", progress=False)
        assert report.summary["requests_made"] == 6 and all(
            len(r["completions"]) == 3 for r in report.rows
        )
    with FaultServer(honour_n=True) as server:
        cfg = replace(
            teacher_cfg, base_url=server.base_url, n=3, cache_dir=str(tmp_path / "cache2")
        )
        report = generate(cfg, examples(2), tmp_path / "run2", progress=False)
        assert report.summary["requests_made"] == 2 and len(report.records()) == 6


def test_timeout_is_retried_not_fatal(teacher_cfg, tmp_path):
    with FaultServer(
        lambda prompt, attempt: "hang" if attempt == 1 else "ok", hang_s=1.0
    ) as server:
        cfg = replace(teacher_cfg, base_url=server.base_url, timeout_s=0.3)
        started = time.monotonic()
        report = generate(cfg, examples(2), tmp_path / "run", retry=FAST_RETRY, progress=False)
        assert report.summary["done"] == 2 and time.monotonic() - started < 5


def test_requests_go_through_the_proxy_named_in_the_environment(teacher_cfg, tmp_path, monkeypatch):
    # answers absolute-URI requests like a forward proxy would pass them on
    with FaultServer() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.base_url.removesuffix("/v1"))
        monkeypatch.delenv("NO_PROXY", raising=False)
        # unresolvable without the proxy
        cfg = replace(teacher_cfg, base_url="http://teacher.invalid/v1")
        report = generate(cfg, examples(3), tmp_path / "run", retry=FAST_RETRY, progress=False)
        assert report.summary["done"] == 3 and sum(proxy.successes.values()) == 3


def test_hosts_named_in_no_proxy_bypass_the_proxy(teacher_cfg, tmp_path, monkeypatch):
    with FaultServer() as proxy, FaultServer() as server:
        for name in ("http_proxy", "no_proxy"):
            monkeypatch.delenv(name, raising=False)  # urllib prefers the lower-case names
        monkeypatch.setenv("HTTP_PROXY", proxy.base_url.removesuffix("/v1"))
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        cfg = replace(teacher_cfg, base_url=server.base_url)
        report = generate(cfg, examples(3), tmp_path / "run", retry=FAST_RETRY, progress=False)
        assert report.summary["done"] == 3 and sum(server.successes.values()) == 3
        assert sum(proxy.successes.values()) == 0
