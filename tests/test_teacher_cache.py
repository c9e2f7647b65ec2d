"""Response cache: atomic entries, corrupt entries refetched, keys that change exactly when they should."""

from __future__ import annotations

import dataclasses
import importlib
from dataclasses import replace

from fault_server import FaultServer

from distill_lib.config import TeacherConfig
from distill_lib.prompts import get_template
from distill_lib.teacher import ResponseCache, generate, request_key
from distill_lib.teacher.cost import cost_summary, estimate_cost, price_for
from distill_lib.teacher.generate import make_jobs

teacher_generate = importlib.import_module("distill_lib.teacher.generate")

EXAMPLES = [{"id": str(i), "input": f"item {i}?\nAnswer Choices:\n(a) yes\n(b) no", "label": "yes"}
            for i in range(4)]


def cfg_for(server: FaultServer, tmp_path) -> TeacherConfig:
    return TeacherConfig(model="m", base_url=server.base_url, template="cqa", cache_dir=str(tmp_path / "cache"))


def test_put_get_roundtrip_and_corruption_detected(tmp_path):
    cache = ResponseCache(tmp_path)
    cache.put("ab" * 32, {"text": "hello"})
    assert cache.get("ab" * 32) == {"text": "hello"} and cache.get("cd" * 32) is None
    path = cache.path("ab" * 32)
    path.write_text(path.read_text()[:-7])  # truncated
    assert cache.get("ab" * 32) is None and cache.corrupt == 1
    cache.put("ab" * 32, {"text": "hello"})
    path.write_text(path.read_text().replace("hello", "jello"))  # valid JSON, wrong checksum
    assert cache.get("ab" * 32) is None and cache.corrupt == 2
    assert not list(tmp_path.rglob("*.tmp"))


def test_cached_rerun_makes_zero_requests_and_corrupt_entry_is_refetched(tmp_path):
    with FaultServer() as server:
        cfg = cfg_for(server, tmp_path)
        first = generate(cfg, EXAMPLES, tmp_path / "run", progress=False)
        assert first.summary["requests_made"] == 4 and first.summary["done"] == 4
        second = generate(cfg, EXAMPLES, tmp_path / "run", progress=False)
        assert second.summary["requests_made"] == 0 and second.summary["cached"] == 4
        victim = next((tmp_path / "cache").rglob("*.json"))
        victim.write_bytes(victim.read_bytes()[:20])
        third = generate(cfg, EXAMPLES, tmp_path / "run", progress=False)
        assert third.summary["requests_made"] == 1 and third.summary["corrupt_cache_entries"] == 1
        assert third.summary["done"] == 1 and third.summary["cached"] == 3
        assert sum(server.successes.values()) == 5


def test_template_version_enters_the_key(tmp_path, monkeypatch):
    with FaultServer() as server:
        cfg = cfg_for(server, tmp_path)
        generate(cfg, EXAMPLES, tmp_path / "run", progress=False)
        bumped = dataclasses.replace(get_template("cqa"), version="cqa-999")
        monkeypatch.setattr(teacher_generate, "get_template", lambda name: bumped)
        report = generate(cfg, EXAMPLES, tmp_path / "run", progress=False)
        assert report.summary["requests_made"] == 4 and report.summary["template_version"] == "cqa-999"


def test_key_depends_on_request_not_on_secret_or_url():
    template = get_template("cqa")
    base = TeacherConfig(model="m", template="cqa")
    keys = make_jobs(base, template, "m", ["p"])[0].keys
    assert make_jobs(replace(base, base_url="http://other", api_key_env="X"), template, "m", ["p"])[0].keys == keys
    for changed in (replace(base, temperature=0.7), replace(base, max_tokens=9), replace(base, stop=["##"]),
                    replace(base, chat=False)):
        assert make_jobs(changed, template, "m", ["p"])[0].keys != keys
    assert make_jobs(base, template, "m2", ["p"])[0].keys != keys
    assert make_jobs(base, template, "m", ["q"])[0].keys != keys
    assert len(set(make_jobs(replace(base, n=3), template, "m", ["p"])[0].keys)) == 3
    assert request_key({"a": 1, "b": 2}) == request_key({"b": 2, "a": 1})


def test_prices_and_estimate():
    assert price_for("gpt-4o-mini").input == 0.15 and price_for("gpt-4o-2024-08-06").output == 10.0
    assert price_for("gpt-4.1-mini-2025-04-14").input == 0.40
    assert cost_summary("gpt-4o-mini", 1_000_000, 1_000_000)["usd"] == 0.75
    local = cost_summary("/models/smollm2", 10**6, 10**6)
    assert local["usd"] == 0.0 and "local or unknown" in local["note"]
    assert cost_summary("mine", 10**6, 0, {"mine": {"input": 3, "output": 4}})["usd"] == 3.0
    estimate = estimate_cost("gpt-4o-mini", ["x" * 4000, "y" * 4000], max_tokens=100, n=2)
    assert estimate["max_completion_tokens"] == 400 and 1500 <= estimate["prompt_tokens"] <= 2500
