"""The OpenAI Batch API path (half price, results within 24 h) feeding the same cache as `generate`.

`run_batch(cfg, examples, work_dir)` does it end to end through the openai SDK:
1. `write_batch_requests` writes the request JSONL: one line per sample still missing from the cache
   (duplicate prompts once), `custom_id` = the cache key `generate` would use;
2. uploads it (files endpoint, purpose "batch") and creates the batch (`completion_window="24h"`);
3. polls the batch every `poll_s` seconds with a tqdm bar (requests completed / total) and a log
   line per status change, until it completes, fails, expires or is cancelled, or until `wait_s` has
   passed;
4. downloads the output (and error) file and `import_batch_results` stores every successful line in
   the response cache: running `generate` afterwards makes no request for them (failed lines are
   fetched then).
The batch id is kept in `work_dir/batch.json` until its results are imported, so a run killed while
waiting (or stopped by `wait_s`) resumes polling the same batch instead of paying for a second one.
Every SDK call goes through the client's retry policy (the SDK's own retries are off).

Deliberately left out: cancelling batches, cost accounting for the Batch API's discount (cost.py
notes it) and splitting files over the API's size limits.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from distill_lib.config_sections import TeacherConfig
from distill_lib.progress import progress as tqdm
from distill_lib.prompts import get_template
from distill_lib.teacher.cache import ResponseCache
from distill_lib.teacher.client import make_sdk_client, run_sync
from distill_lib.teacher.generate import resolve_cache_dir
from distill_lib.teacher.requests import checked_examples, make_jobs, render_prompts
from distill_lib.teacher.retry import RetryPolicy, with_retries

log = logging.getLogger(__name__)
TERMINAL = ("completed", "failed", "expired", "cancelled")


def _body(
    cfg: TeacherConfig, prompt: list[dict[str, str]] | str, stop: list[str]
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": cfg.model,
        "temperature": cfg.temperature,
        "max_tokens": cfg.max_tokens,
    }
    body["messages" if cfg.chat else "prompt"] = prompt
    if stop:
        body["stop"] = stop
    return body


def write_batch_requests(
    cfg: TeacherConfig,
    examples: list[dict[str, Any]],
    path: str | Path,
    demo: dict[str, Any] | None = None,
) -> int:
    """Write the Batch API request file for every sample not cached yet; returns how many lines it
    holds."""
    template = get_template(cfg.template)
    prompts = render_prompts(cfg, template, checked_examples(examples, cfg.limit), demo)
    cache = ResponseCache(resolve_cache_dir(cfg.cache_dir))
    stop = list(dict.fromkeys([*template.stop, *cfg.stop]))[:4]  # as the client sends them
    url = "/v1/chat/completions" if cfg.chat else "/v1/completions"
    bodies = {
        key: _body(cfg, job.prompt, stop)
        for job in make_jobs(cfg, template, cfg.model, prompts)
        for key in job.keys
    }  # custom_ids must be unique: a duplicate prompt is asked once
    lines = [
        json.dumps({"custom_id": key, "method": "POST", "url": url, "body": body})
        for key, body in bodies.items()
        if cache.get(key) is None
    ]
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
    return {
        "text": text,
        "finish_reason": choice.get("finish_reason", ""),
        "usage": body.get("usage", {}),
        "model": cfg.model,
        "template": cfg.template,
        "source": "openai-batch",
    }


def import_batch_results(cfg: TeacherConfig, output_path: str | Path) -> dict[str, int]:
    """Store the successful lines of a Batch API output file in the cache; count stored and failed
    lines."""
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


class BatchSession:
    """The SDK calls of one batch run, each retried per the policy (secrets scrubbed from
    failures).
    """

    def __init__(self, cfg: TeacherConfig, retry: RetryPolicy | None):
        if cfg.base_url == "embedded":
            raise ValueError(
                "the Batch API needs OpenAI or a server with /v1/files and /v1/batches, "
                "not the embedded teacher"
            )
        key = os.environ.get(cfg.api_key_env, "")
        if cfg.base_url is None and not key:
            raise RuntimeError(f"the Batch API calls OpenAI but ${cfg.api_key_env} is not set")
        self.sdk = make_sdk_client(cfg.base_url, key or "not-needed", cfg.timeout_s)
        self.retry = retry or RetryPolicy(max_retries=cfg.max_retries)
        self.secrets = (key,)

    async def call(self, method: Any, *args: Any, **kwargs: Any) -> Any:
        return await with_retries(lambda: method(*args, **kwargs), self.retry, self.secrets)

    async def submit(self, requests_path: Path, endpoint: str) -> str:
        upload = await self.call(
            self.sdk.files.create,
            file=(requests_path.name, requests_path.read_bytes()),
            purpose="batch",
        )
        batch = await self.call(
            self.sdk.batches.create,
            input_file_id=upload.id,
            endpoint=endpoint,
            completion_window="24h",
        )
        return batch.id

    async def wait(self, batch_id: str, poll_s: float, wait_s: float | None, progress: bool) -> Any:
        """The batch once terminal, or as it stands after `wait_s`; a bar and a log line per status
        change."""
        deadline = None if wait_s is None else time.monotonic() + wait_s
        bar = tqdm(desc=f"batch {batch_id}", unit="req", disable=not progress, dynamic_ncols=True)
        status = ""
        try:
            while True:
                batch = await self.call(self.sdk.batches.retrieve, batch_id)
                if batch.status != status:
                    status = batch.status
                    log.info("teacher batch %s: %s", batch_id, status)
                counts = batch.request_counts
                if counts is not None:
                    bar.total = counts.total
                    bar.update(counts.completed + counts.failed - bar.n)
                bar.set_postfix(status=status, refresh=True)
                if status in TERMINAL or (deadline is not None and time.monotonic() >= deadline):
                    return batch
                await asyncio.sleep(poll_s)
        finally:
            bar.close()

    async def download(self, file_id: str | None, path: Path) -> Path | None:
        if not file_id:
            return None
        content = await self.call(self.sdk.files.content, file_id)
        path.write_bytes(content.content)
        return path


def _import_all(cfg: TeacherConfig, files: list[Path | None]) -> dict[str, int]:
    counts = {"stored": 0, "failed": 0}
    for path in files:
        if path is not None:
            for name, value in import_batch_results(cfg, path).items():
                counts[name] += value
    return counts


def _pending(
    cfg: TeacherConfig, examples: list[dict[str, Any]], work_dir: Path, demo: dict[str, Any] | None
) -> dict[str, Any]:
    """The batch this folder waits for, else a new request file's state (batch_id None; requests 0:
    nothing)."""
    state_path = work_dir / "batch.json"
    if state_path.exists():
        return json.loads(state_path.read_text())
    return {
        "batch_id": None,
        "requests": write_batch_requests(cfg, examples, work_dir / "batch_requests.jsonl", demo),
    }


async def _run(
    cfg: TeacherConfig,
    examples: list[dict[str, Any]],
    work_dir: Path,
    demo: dict[str, Any] | None,
    poll_s: float,
    wait_s: float | None,
    progress: bool,
    retry: RetryPolicy | None,
) -> dict[str, Any]:
    state = _pending(cfg, examples, work_dir, demo)
    if state["requests"] == 0:
        return {
            "batch_id": None,
            "status": "nothing to request",
            "requests": 0,
            "stored": 0,
            "failed": 0,
        }
    session = BatchSession(cfg, retry)
    try:
        if state["batch_id"] is None:
            endpoint = "/v1/chat/completions" if cfg.chat else "/v1/completions"
            state["batch_id"] = await session.submit(work_dir / "batch_requests.jsonl", endpoint)
            (work_dir / "batch.json").write_text(json.dumps(state))
        batch = await session.wait(state["batch_id"], poll_s, wait_s, progress)
        result = {
            "batch_id": batch.id,
            "status": batch.status,
            "requests": state["requests"],
            "stored": 0,
            "failed": 0,
        }
        if batch.status not in TERMINAL:
            return result  # still running: the next call resumes polling it
        files = [
            await session.download(batch.output_file_id, work_dir / "batch_output.jsonl"),
            await session.download(batch.error_file_id, work_dir / "batch_errors.jsonl"),
        ]
    finally:
        await session.sdk.close()
    # before forgetting the batch: a failed import is resumed next call
    counts = _import_all(cfg, files)
    (work_dir / "batch.json").unlink()
    return {**result, **counts}


def run_batch(
    cfg: TeacherConfig,
    examples: list[dict[str, Any]],
    work_dir: str | Path,
    demo: dict[str, Any] | None = None,
    *,
    poll_s: float = 30.0,
    wait_s: float | None = None,
    progress: bool = True,
    retry: RetryPolicy | None = None,
) -> dict[str, Any]:
    """Request every uncached sample through the Batch API and import the answers into the cache.

    Returns batch_id, status, requests (lines sent), stored and failed (lines imported / not
    usable). With `wait_s`, returns after that long even if the batch is still running; call again
    to resume.
    """
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    return run_sync(_run(cfg, examples, work_dir, demo, poll_s, wait_s, progress, retry))
