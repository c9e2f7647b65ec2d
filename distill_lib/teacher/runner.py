"""The async engine: fetch every missing sample of every job under a concurrency limit, caching as
it goes.

A job is one example's prompt and the cache keys of its n samples. Jobs with the same keys
(duplicate prompts in one run) are fetched once: the first is sent, the others share its answers (or
its failure) and say whose they are (`duplicate_of`). Each response is written to the cache the
moment it arrives, so a killed run loses at most the requests in flight. A cache write that fails
(disk full, permissions) is recorded on its job and the run goes on with the answer kept in memory.
Servers that return fewer choices than asked (transformers serve ignores n) get further requests for
the samples still missing. Failed requests are recorded on their job (reason and attempts) and never
stop the others. A tqdm bar shows done / cached / failed and completion tokens per second.

Deliberately left out: retries (client.py), rendering and parsing (distill_lib.prompts), files
(generate.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from distill_lib.progress import progress as tqdm
from distill_lib.teacher.cache import ResponseCache
from distill_lib.teacher.client import TeacherClient
from distill_lib.teacher.retry import RequestFailed

log = logging.getLogger(__name__)


@dataclass
class Job:
    index: int
    prompt: list[dict[str, str]] | str
    keys: list[str]
    # key -> cached or fetched payload
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    from_cache: int = 0
    error: str = ""
    # cache writes that failed (answers kept in memory)
    cache_errors: list[str] = field(default_factory=list)
    duplicate_of: int | None = None  # index of the job whose request this one shared

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
    # each key read once, however many jobs share it
    looked_up: dict[str, dict[str, Any] | None] = {}
    for job in jobs:
        for key in job.keys:
            if key not in looked_up:
                looked_up[key] = cache.get(key)
            payload = looked_up[key]
            if payload is not None:
                job.entries[key] = payload
                job.from_cache += 1


async def _fetch_job(
    job: Job, client: TeacherClient, cache: ResponseCache, meta: dict[str, Any], stats: RunStats
) -> None:
    try:
        while missing := job.missing:
            completion = await client.complete(job.prompt, n=len(missing))
            stats.prompt_tokens += completion.usage.get("prompt_tokens", 0)
            stats.completion_tokens += completion.usage.get("completion_tokens", 0)
            for i, (key, text) in enumerate(zip(missing, completion.texts, strict=False)):
                usage = completion.usage if i == 0 else {"prompt_tokens": 0, "completion_tokens": 0}
                payload = {
                    "text": text,
                    "finish_reason": completion.finish_reasons[i],
                    "usage": usage,
                    **meta,
                }
                job.entries[key] = payload
                _store(job, cache, key, payload)
    except RequestFailed as failure:
        job.error = f"{failure.reason} (after {failure.attempts} attempt(s))"


def _store(job: Job, cache: ResponseCache, key: str, payload: dict[str, Any]) -> None:
    try:
        cache.put(key, payload)
    # the answer stays in memory for this run's outputs; a rerun fetches it again
    except OSError as error:
        job.cache_errors.append(
            f"cache write failed for sample {job.keys.index(key)}: {type(error).__name__}: {error}"
        )
        log.warning("teacher: %s", job.cache_errors[-1])


def share(leader: Job, follower: Job) -> None:
    """`follower` (same keys as `leader`) takes the leader's answers, failure and cache-write
    reports."""
    follower.entries, follower.from_cache = dict(leader.entries), leader.from_cache
    follower.error, follower.cache_errors = leader.error, list(leader.cache_errors)
    follower.duplicate_of = leader.index


def by_keys(jobs: list[Job]) -> list[list[Job]]:
    """Jobs grouped by their keys, in first-seen order: one request per group."""
    groups: dict[tuple[str, ...], list[Job]] = {}
    for job in jobs:
        groups.setdefault(tuple(job.keys), []).append(job)
    return list(groups.values())


async def run_jobs(
    jobs: list[Job],
    client: TeacherClient,
    cache: ResponseCache,
    concurrency: int,
    meta: dict[str, Any],
    progress: bool = True,
) -> RunStats:
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

    async def one(group: list[Job]) -> None:
        leader = group[0]
        if leader.missing:
            async with semaphore:
                await _fetch_job(leader, client, cache, meta, stats)
        for follower in group[1:]:
            share(leader, follower)
        for job in group:
            finish(job)

    try:
        await asyncio.gather(*(one(group) for group in by_keys(jobs)))
    finally:
        bar.close()
    return stats
