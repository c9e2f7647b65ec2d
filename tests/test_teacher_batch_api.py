"""Batch API path: request lines carry the cache keys; imported results make `generate` request nothing."""

from __future__ import annotations

import json

from distill_lib.config import TeacherConfig
from distill_lib.teacher.batch_api import import_batch_results, write_batch_requests

EXAMPLES = [{"id": str(i), "input": f"How many legs do {i} ducks have?"} for i in range(3)]


def _answer(request: dict, ok: bool) -> dict:
    body = {"choices": [{"message": {"content": "Each duck has 2 legs. The answer is 6."}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 9}}
    return {"custom_id": request["custom_id"], "error": None if ok else {"message": "rate limited"},
            "response": {"status_code": 200 if ok else 429, "body": body if ok else {}}}


def test_requests_then_import_fill_the_cache(tmp_path):
    cfg = TeacherConfig(model="gpt-4o-mini", template="math_cot", cache_dir=str(tmp_path / "cache"), max_tokens=64)
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
