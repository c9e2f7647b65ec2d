"""Response cache: atomic entries, corrupt entries refetched, keys that change exactly when they
should."""

from __future__ import annotations

import dataclasses
import importlib
import json
import re
from dataclasses import replace

from fault_server import FaultServer

from distill_lib.config_sections import TeacherConfig
from distill_lib.prompts import get_template
from distill_lib.teacher import ResponseCache, generate, request_key
from distill_lib.teacher.cost import cost_summary, estimate_cost, price_for
from distill_lib.teacher.requests import make_jobs

teacher_generate = importlib.import_module("distill_lib.teacher.generate")

EXAMPLES = [
    {"id": str(i), "input": f"item {i}?\nAnswer Choices:\n(a) yes\n(b) no", "label": "yes"}
    for i in range(4)
]


def cfg_for(server: FaultServer, tmp_path) -> TeacherConfig:
    return TeacherConfig(
        model="m", base_url=server.base_url, template="cqa", cache_dir=str(tmp_path / "cache")
    )


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
        assert third.summary["blocked_cache_entries"] == 0
        assert third.summary["done"] == 1 and third.summary["cached"] == 3
        assert sum(server.successes.values()) == 5


def test_a_blocked_shard_is_counted_apart_from_corrupt_entries(tmp_path):
    cache = ResponseCache(tmp_path)
    cache.put("ab" * 32, {"text": "hello"})
    shard = cache.path("ab" * 32).parent
    cache.path("ab" * 32).unlink()
    shard.rmdir()
    shard.write_text("")  # a file took the shard folder's name
    assert cache.get("ab" * 32) is None and (cache.blocked, cache.corrupt) == (1, 0)
    cache.path("cd" * 32).mkdir(parents=True)  # the entry's own path is a folder
    assert cache.get("cd" * 32) is None and (cache.blocked, cache.corrupt) == (2, 0)


def test_a_blocked_shard_is_reported_as_blocked_and_as_a_failed_write(tmp_path):
    with FaultServer() as server:
        cfg = cfg_for(server, tmp_path)
        generate(cfg, EXAMPLES, tmp_path / "run", progress=False)
        shard = next((tmp_path / "cache").rglob("*.json")).parent
        for entry in shard.iterdir():
            entry.unlink()
        shard.rmdir()
        shard.write_text("")
        report = generate(cfg, EXAMPLES, tmp_path / "run", progress=False)
    summary = report.summary
    assert summary["blocked_cache_entries"] >= 1 and summary["corrupt_cache_entries"] == 0
    assert len(summary["cache_write_failures"]) == summary["blocked_cache_entries"]
    assert summary["done"] == summary["blocked_cache_entries"] and summary["failed"] == 0


def test_template_version_enters_the_key(tmp_path, monkeypatch):
    with FaultServer() as server:
        cfg = cfg_for(server, tmp_path)
        generate(cfg, EXAMPLES, tmp_path / "run", progress=False)
        bumped = dataclasses.replace(get_template("cqa"), version="cqa-999")
        monkeypatch.setattr(teacher_generate, "get_template", lambda name: bumped)
        report = generate(cfg, EXAMPLES, tmp_path / "run", progress=False)
        assert (
            report.summary["requests_made"] == 4 and report.summary["template_version"] == "cqa-999"
        )


def test_key_depends_on_request_not_on_secret_or_url():
    template = get_template("cqa")
    base = TeacherConfig(model="m", template="cqa")
    keys = make_jobs(base, template, "m", ["p"])[0].keys
    assert (
        make_jobs(replace(base, base_url="http://other", api_key_env="X"), template, "m", ["p"])[
            0
        ].keys
        == keys
    )
    for changed in (
        replace(base, temperature=0.7),
        replace(base, max_tokens=9),
        replace(base, stop=["##"]),
        replace(base, chat=False),
    ):
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


def test_keys_of_existing_caches_are_unchanged():
    """Pinned values: a change here would orphan every cache written before it."""
    template = dataclasses.replace(get_template("cqa"), version="cqa-1", stop=("\n\nQ:", "\nQ:"))
    chat = make_jobs(
        TeacherConfig(model="gpt-4o-mini", template="cqa", n=2),
        template,
        "gpt-4o-mini",
        [[{"role": "user", "content": "Where is it?"}]],
    )[0].keys
    assert chat == [
        "88b4f2e694e5785e764b82f36bdd66aab6079cbd9626c2a3591bffae511ff06f",
        "33580bb23cec50600bdc9e3acc6e0ae48de92d18c91d6da0a6094056fefa75d6",
    ]
    completion = make_jobs(
        TeacherConfig(model="m", template="cqa", chat=False, stop=["##"]),
        template,
        "m",
        ["Q: Where is it?\nA:"],
    )[0].keys
    assert completion == ["7287491db875bc6fb426b4ebb87de53eeb30de35c6e6d9a7a25f121b8ecbf2ee"]
    with_options = make_jobs(
        TeacherConfig(model="m", template="cqa", chat=False, stop=["##"]),
        template,
        "m",
        ["Q: Where is it?\nA:"],
        {"response_format": {"type": "json_object"}},
    )[0].keys
    assert with_options != completion


def test_duplicate_prompts_are_requested_once_and_every_row_gets_the_answer(tmp_path):
    examples = [
        {
            "id": f"e{i}",
            "input": f"item {i % 10}?\nAnswer Choices:\n(a) yes\n(b) no",
            "label": "yes",
        }
        for i in range(20)
    ]
    with FaultServer(
        reply=lambda prompt: f" {re.findall(r'item [0-9]+', prompt)[-1]}. So the answer is (a) yes."
    ) as server:
        report = generate(cfg_for(server, tmp_path), examples, tmp_path / "run", progress=False)
        assert sum(server.requests.values()) == 10 and report.summary["requests_made"] == 10
    assert [row["id"] for row in report.rows] == [f"e{i}" for i in range(20)]
    assert report.summary["done"] == 20 and report.summary["duplicates"] == 10
    for i, row in enumerate(report.rows):
        assert row["completions"] == [f" item {i % 10}. So the answer is (a) yes."], row
        assert row["duplicate_of"] == ("" if i < 10 else f"e{i - 10}")
    assert len({r["id"] for r in report.records()}) == 20


def test_a_failed_cache_write_is_reported_and_the_run_goes_on(tmp_path, monkeypatch):
    real_put, calls = ResponseCache.put, []

    def put(self, key, payload):
        calls.append(key)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_put(self, key, payload)

    monkeypatch.setattr(ResponseCache, "put", put)
    with FaultServer() as server:
        cfg = cfg_for(server, tmp_path)
        report = generate(cfg, EXAMPLES, tmp_path / "run", progress=False)
        rows = [
            json.loads(line)
            for line in (tmp_path / "run" / "teacher_outputs.jsonl").read_text().splitlines()
        ]
        assert len(rows) == 4 and all(
            row["status"] == "done" and row["completions"] for row in rows
        )
        broken = [row for row in rows if row["cache_error"]]
        assert len(broken) == 1 and "No space left" in broken[0]["cache_error"]
        failures = report.summary["cache_write_failures"]
        assert failures == [{"id": broken[0]["id"], "reason": broken[0]["cache_error"]}]
        assert report.summary["done"] == 4 and report.summary["failed"] == 0
        # only the unsaved answer is asked again
        again = generate(cfg, EXAMPLES, tmp_path / "run", progress=False)
        assert again.summary["requests_made"] == 1 and again.summary["cached"] == 3


def test_prompts_over_the_token_limit_are_not_sent_and_are_reported(tmp_path):
    """`teacher.max_prompt_tokens` (SciGen's guard against over-long tables): a prompt above it is
    never sent, and the summary lists its id and size; the others go out as usual."""
    long_input = "item 9? " + "a very long table cell " * 400 + "\nAnswer Choices:\n(a) yes\n(b) no"
    examples = [*EXAMPLES, {"id": "long", "input": long_input, "label": "yes"}]
    with FaultServer() as server:
        cfg = replace(cfg_for(server, tmp_path), max_prompt_tokens=1000)
        report = generate(cfg, examples, tmp_path / "run", progress=False)
        assert not any("a very long table cell" in prompt for prompt in server.requests)
        assert sum(server.requests.values()) == len(EXAMPLES)
    (skipped,) = report.summary["skipped_long_prompts"]
    assert skipped["id"] == "long" and skipped["prompt_tokens"] > 1000
    assert sorted(r["id"] for r in report.rows) == sorted(e["id"] for e in EXAMPLES)
