"""The async engine: fetch every missing sample of every job under a concurrency limit, caching as it goes.

A job is one example's prompt and the cache keys of its n samples. Each response is written to the cache the
moment it arrives, so a killed run loses at most the requests in flight. Servers that return fewer choices than
asked (transformers serve ignores n) get further requests for the samples still missing. Failed requests are
recorded on their job (reason and attempts) and never stop the others. A tqdm bar shows done / cached / failed
and completion tokens per second.

Deliberately left out: retries (client.py), rendering and parsing (distill_lib.prompts), files (generate.py).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from tqdm.auto import tqdm

from distill_lib.teacher.cache import ResponseCache
from distill_lib.teacher.client import RequestFailed, TeacherClient


@dataclass
class Job:
    index: int
    prompt: list[dict[str, str]] | str
    keys: list[str]
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> cached or fetched payload
    from_cache: int = 0
    error: str = ""

    @property
    def missing(self) -> list[str]:
        return [key for key in self.keys if key not in self.entries]

    @property
    def status(self) -> str:
        if self.error:
            return "failed"
        return "cached" if self.from_cache == len(self.keys) else "done"


@dataclass
class RunStats:
    started: float = field(default_factory=time.monotonic)
    counts: dict[str, int] = field(default_factory=lambda: {"done": 0, "cached": 0, "failed": 0})
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def tokens_per_s(self) -> float:
        return self.completion_tokens / max(time.monotonic() - self.started, 1e-9)


def fill_from_cache(jobs: list[Job], cache: ResponseCache) -> None:
    for job in jobs:
        for key in job.keys:
            payload = cache.get(key)
            if payload is not None:
                job.entries[key] = payload
                job.from_cache += 1


async def _fetch_job(job: Job, client: TeacherClient, cache: ResponseCache, meta: dict[str, Any],
                     stats: RunStats) -> None:
    try:
        while missing := job.missing:
            completion = await client.complete(job.prompt, n=len(missing))
            stats.prompt_tokens += completion.usage.get("prompt_tokens", 0)
            stats.completion_tokens += completion.usage.get("completion_tokens", 0)
            for i, (key, text) in enumerate(zip(missing, completion.texts, strict=False)):
                usage = completion.usage if i == 0 else {"prompt_tokens": 0, "completion_tokens": 0}
                payload = {"text": text, "finish_reason": completion.finish_reasons[i], "usage": usage, **meta}
                cache.put(key, payload)
                job.entries[key] = payload
    except RequestFailed as failure:
        job.error = f"{failure.reason} (after {failure.attempts} attempt(s))"


async def run_jobs(jobs: list[Job], client: TeacherClient, cache: ResponseCache, concurrency: int,
                   meta: dict[str, Any], progress: bool = True) -> RunStats:
    """Fetch what the cache lacks for every job; returns token and status counts."""
    if concurrency < 1:
        raise ValueError(f"teacher.concurrency must be >= 1, got {concurrency}")
    stats = RunStats()
    semaphore = asyncio.Semaphore(concurrency)
    bar = tqdm(total=len(jobs), desc="teacher", disable=not progress, dynamic_ncols=True)

    def finish(job: Job) -> None:
        stats.counts[job.status] += 1
        bar.update(1)
        bar.set_postfix(**stats.counts, tok_s=f"{stats.tokens_per_s():.0f}", refresh=False)

    async def one(job: Job) -> None:
        if job.missing:
            async with semaphore:
                await _fetch_job(job, client, cache, meta, stats)
        finish(job)

    try:
        await asyncio.gather(*(one(job) for job in jobs))
    finally:
        bar.close()
    return stats
