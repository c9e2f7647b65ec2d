"""Batch API path: request lines carry the cache keys; imported results make `generate` request
nothing.

The end-to-end tests run against tests/batch_server.py (files, batches, polling, downloads on
loopback)."""

from __future__ import annotations

import json
import logging

from batch_server import BatchServer

from distill_lib.config_sections import TeacherConfig
from distill_lib.teacher import generate
from distill_lib.teacher.batch_api import import_batch_results, run_batch, write_batch_requests

EXAMPLES = [{"id": str(i), "input": f"How many legs do {i} ducks have?"} for i in range(3)]


def _answer(request: dict, ok: bool) -> dict:
    body = {
        "choices": [
            {
                "message": {"content": "Each duck has 2 legs. The answer is 6."},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 9},
    }
    return {
        "custom_id": request["custom_id"],
        "error": None if ok else {"message": "rate limited"},
        "response": {"status_code": 200 if ok else 429, "body": body if ok else {}},
    }


def test_requests_then_import_fill_the_cache(tmp_path):
    cfg = TeacherConfig(
        model="gpt-4o-mini", template="math_cot", cache_dir=str(tmp_path / "cache"), max_tokens=64
    )
    requests_file, results_file = tmp_path / "requests.jsonl", tmp_path / "results.jsonl"
    assert write_batch_requests(cfg, EXAMPLES, requests_file) == 3
    requests = [json.loads(line) for line in requests_file.read_text().splitlines()]
    assert {r["url"] for r in requests} == {"/v1/chat/completions"}
    assert all(r["body"]["model"] == "gpt-4o-mini" and r["body"]["messages"] for r in requests)
    outputs = [_answer(r, ok=i != 1) for i, r in enumerate(requests)]
    results_file.write_text("".join(json.dumps(o) + "\n" for o in outputs))
    assert import_batch_results(cfg, results_file) == {"stored": 2, "failed": 1}
    # only the failed sample is still missing: a second request file holds exactly that one
    assert write_batch_requests(cfg, EXAMPLES, tmp_path / "again.jsonl") == 1
    again = json.loads((tmp_path / "again.jsonl").read_text())
    assert again["custom_id"] == requests[1]["custom_id"]


def batch_cfg(server: BatchServer, tmp_path) -> TeacherConfig:
    return TeacherConfig(
        model="gpt-4o-mini",
        base_url=server.base_url,
        template="math_cot",
        max_tokens=64,
        cache_dir=str(tmp_path / "cache"),
    )


def test_run_batch_end_to_end_then_generate_requests_nothing_it_imported(tmp_path, caplog):
    """Upload, create, poll (in progress twice), download, import: generate then asks only the
    failed line."""
    # a duplicate prompt is asked once
    examples = EXAMPLES + [{"id": "dup", "input": EXAMPLES[0]["input"]}]
    with BatchServer(
        in_progress_polls=2, fail=lambda body: "2 ducks" in json.dumps(body)
    ) as server:
        cfg = batch_cfg(server, tmp_path)
        with caplog.at_level(logging.INFO, logger="distill_lib.teacher.batch_api"):
            result = run_batch(cfg, examples, tmp_path / "batch", poll_s=0.01, progress=False)
        assert result["status"] == "completed" and result["requests"] == 3
        assert (result["stored"], result["failed"]) == (2, 1)
        assert server.routes == {
            "POST /v1/files": 1,
            "POST /v1/batches": 1,
            "GET /v1/batches/{id}": 3,
            "GET /v1/files/{id}/content": 2,
        }
        assert "in_progress" in caplog.text and "completed" in caplog.text
        assert not server.requests  # no chat request yet: everything went through the batch
        report = generate(cfg, examples, tmp_path / "run", progress=False)
        assert report.summary["requests_made"] == 1 and report.summary["cached"] == 3
        assert list(server.requests) == [p for p in server.requests if "2 ducks" in p]
        again = run_batch(cfg, examples, tmp_path / "batch", poll_s=0.01, progress=False)
        assert again["requests"] == 0 and server.routes["POST /v1/batches"] == 1


def test_run_batch_resumes_the_pending_batch_instead_of_paying_twice(tmp_path):
    with BatchServer(in_progress_polls=5) as server:
        cfg = batch_cfg(server, tmp_path)
        first = run_batch(
            cfg, EXAMPLES, tmp_path / "batch", poll_s=0.01, wait_s=0.0, progress=False
        )
        assert first["status"] == "in_progress" and first["stored"] == 0
        second = run_batch(cfg, EXAMPLES, tmp_path / "batch", poll_s=0.01, progress=False)
        assert second["batch_id"] == first["batch_id"] and second["stored"] == 3
        assert server.routes["POST /v1/batches"] == 1 and server.routes["POST /v1/files"] == 1
        upload = next(c for c in server.calls if c["path"] == "/v1/files")
        assert b'"custom_id"' in upload["body"] and "authorization" in upload["headers"]
