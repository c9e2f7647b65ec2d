"""The OpenAI Batch API path (half price, results within 24 h) feeding the same cache as `generate`.

1. `write_batch_requests(cfg, examples, path, demo)` writes the request JSONL the Batch API takes: one line per
   sample still missing from the cache, `custom_id` = the cache key `generate` would use.
2. Upload it and create the batch with the OpenAI client or CLI (`client.files.create(purpose="batch")`,
   `client.batches.create(endpoint=..., completion_window="24h")`), then download the output file.
3. `import_batch_results(cfg, output_path)` stores every successful line in the response cache; running
   `generate` afterwards finds them all cached and makes no request for them (failed lines are fetched then).

Deliberately left out: uploading and polling (one SDK call each; no network code is needed here to test this).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from distill_lib.config import TeacherConfig
from distill_lib.prompts import get_template
from distill_lib.teacher.cache import ResponseCache
from distill_lib.teacher.generate import checked_examples, make_jobs, render_prompts, resolve_cache_dir


def _body(cfg: TeacherConfig, prompt: list[dict[str, str]] | str, stop: list[str]) -> dict[str, Any]:
    body: dict[str, Any] = {"model": cfg.model, "temperature": cfg.temperature, "max_tokens": cfg.max_tokens}
    body["messages" if cfg.chat else "prompt"] = prompt
    if stop:
        body["stop"] = stop
    return body


def write_batch_requests(cfg: TeacherConfig, examples: list[dict[str, Any]], path: str | Path,
                         demo: dict[str, Any] | None = None) -> int:
    """Write the Batch API request file for every sample not cached yet; returns how many lines it holds."""
    template = get_template(cfg.template)
    prompts = render_prompts(cfg, template, checked_examples(examples, cfg.limit), demo)
    cache = ResponseCache(resolve_cache_dir(cfg.cache_dir))
    stop = sorted(set(template.stop) | set(cfg.stop))
    url = "/v1/chat/completions" if cfg.chat else "/v1/completions"
    lines = [json.dumps({"custom_id": key, "method": "POST", "url": url, "body": _body(cfg, job.prompt, stop)})
             for job in make_jobs(cfg, template, cfg.model, prompts) for key in job.keys if cache.get(key) is None]
    Path(path).write_text("".join(line + "\n" for line in lines))
    return len(lines)


def _payload(line: dict[str, Any], cfg: TeacherConfig) -> dict[str, Any] | None:
    response = line.get("response") or {}
    if line.get("error") or response.get("status_code") != 200:
        return None
    body = response.get("body") or {}
    choice = (body.get("choices") or [{}])[0]
    text = choice.get("message", {}).get("content") if cfg.chat else choice.get("text")
    if not isinstance(text, str):
        return None
    return {"text": text, "finish_reason": choice.get("finish_reason", ""), "usage": body.get("usage", {}),
            "model": cfg.model, "template": cfg.template, "source": "openai-batch"}


def import_batch_results(cfg: TeacherConfig, output_path: str | Path) -> dict[str, int]:
    """Store the successful lines of a Batch API output file in the cache; count stored and failed lines."""
    cache = ResponseCache(resolve_cache_dir(cfg.cache_dir))
    counts = {"stored": 0, "failed": 0}
    for number, raw in enumerate(Path(output_path).read_text().splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except json.JSONDecodeError as err:
            raise ValueError(f"{output_path}, line {number}: not valid JSON ({err})") from None
        payload = _payload(line, cfg)
        if payload is None or not line.get("custom_id"):
            counts["failed"] += 1
            continue
        cache.put(line["custom_id"], payload)
        counts["stored"] += 1
    return counts
