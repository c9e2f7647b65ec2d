"""The teacher stage as one call: `generate(cfg, examples, run_dir, demo)` -> GenerationReport.

Renders every example with the configured template, resolves the endpoint (OpenAI, a given URL, or
the embedded `transformers serve`), fetches what the cache lacks, parses every completion, and
writes `run_dir/teacher_outputs.jsonl` (one row per example: id, status, completions, parsed
rationale/label, usage, error, cache_error, duplicate_of) and `run_dir/teacher_summary.json`
(counts, parse failures, requests made, duplicates, tokens, cost, estimate, corrupt and blocked
cache entries, wall time, failures and failed cache writes with reasons). Both files are written
atomically. The cache folder is opened before any endpoint starts. Examples whose prompts are
identical share one request. `extra_body` and `response_format` are passed to every request and
enter the cache key only when given, so the keys of runs without them (and existing caches) are
unchanged. `estimate(cfg, examples, demo)` (distill_lib.teacher.requests) gives the upper-bound cost
before anything is sent. The API key never reaches these files (it is not part of any key, row or
reason; reasons are scrubbed).

Works from scripts and from a running Jupyter loop (the coroutine then runs in a worker thread).
Deliberately left out: verifying answers against gold (distill_lib.verify) and filtering.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from distill_lib.config import PROJECT_ROOT
from distill_lib.config_sections import TeacherConfig
from distill_lib.config_values import ConfigError
from distill_lib.prompts import Parsed, Template, get_template
from distill_lib.teacher.cache import ResponseCache
from distill_lib.teacher.client import TeacherClient, run_sync
from distill_lib.teacher.cost import cost_summary, estimate_cost
from distill_lib.teacher.requests import (
    checked_examples,
    make_jobs,
    render_prompts,
    request_options,
    within_prompt_limit,
)
from distill_lib.teacher.retry import RetryPolicy, scrub
from distill_lib.teacher.runner import Job, fill_from_cache, run_jobs
from distill_lib.teacher.server import Endpoint, resolve_endpoint

log = logging.getLogger(__name__)


@dataclass
class GenerationReport:
    rows: list[dict[str, Any]]
    summary: dict[str, Any]
    format: str
    examples: list[dict[str, Any]] = field(default_factory=list, repr=False)

    def records(self) -> list[dict[str, Any]]:
        """One record per parsed completion (SciGen: per statement triple); failed examples are left
        out."""
        records = []
        for example, row in zip(self.examples, self.rows, strict=True):
            if row["status"] == "failed":
                continue
            extra = {
                k: v
                for k, v in example.items()
                if k not in ("id", "input", "label", "rationale", "llm_label")
            }
            for sample, parsed in enumerate(row["parsed"]):
                for k, (rationale, label, ok) in enumerate(_record_parts(parsed)):
                    suffix = (f"-{sample}" if len(row["parsed"]) > 1 else "") + (
                        f"-t{k}" if k else ""
                    )
                    records.append(
                        {
                            **extra,
                            "id": f"{row['id']}{suffix}",
                            "input": example["input"],
                            "label": str(example.get("label", "")),
                            "rationale": rationale,
                            "llm_label": label,
                            "format": self.format,
                            "source": self.summary["model"],
                            "parse_ok": ok,
                        }
                    )
        return records

    def to_dataset(self):
        from datasets import Dataset

        return Dataset.from_list(self.records())


def _record_parts(parsed: dict[str, Any]) -> list[tuple[str, str, bool]]:
    triples = parsed.get("fields", {}).get("triples")
    if triples:
        return [(t["reasoning"], t["statement"], t["verified"]) for t in triples]
    return [(parsed["rationale"], parsed["label"], parsed["ok"])]


def _row(
    example: dict[str, Any], job: Job, template: Template, examples: list[dict[str, Any]]
) -> dict[str, Any]:
    texts = [job.entries[key]["text"] for key in job.keys if key in job.entries]
    parsed = [template.parse(text) for text in texts]
    first = parsed[0] if parsed else Parsed("", "", ok=False)
    usage = {
        name: sum(job.entries[k]["usage"].get(name, 0) for k in job.entries)
        for name in ("prompt_tokens", "completion_tokens")
    }
    return {
        "id": str(example["id"]),
        "status": job.status,
        "completions": texts,
        "rationale": first.rationale,
        "llm_label": first.label,
        "parse_ok": first.ok,
        "parsed": [asdict(p) for p in parsed],
        "usage": usage,
        "cached_samples": job.from_cache,
        "error": job.error,
        "cache_error": "; ".join(job.cache_errors),
        "duplicate_of": "" if job.duplicate_of is None else str(examples[job.duplicate_of]["id"]),
    }


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def resolve_cache_dir(cache_dir: str) -> Path:
    path = Path(cache_dir)
    return path if path.is_absolute() else PROJECT_ROOT / path


def open_cache(cfg: TeacherConfig) -> ResponseCache:
    """The response cache at `teacher.cache_dir`; a ConfigError naming the key when the folder is a
    file or cannot be created."""
    try:
        return ResponseCache(resolve_cache_dir(cfg.cache_dir))
    except ConfigError as err:
        raise ConfigError(f"teacher.cache_dir = {cfg.cache_dir!r}: {err}") from None


async def _generate_async(
    cfg: TeacherConfig,
    template: Template,
    examples: list[dict[str, Any]],
    prompts: list[Any],
    cache: ResponseCache,
    endpoint: Endpoint,
    retry: RetryPolicy | None,
    progress: bool,
    options: dict[str, Any],
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    started = time.monotonic()
    model_key = endpoint.cache_name or endpoint.model  # keys survive a moved checkout
    jobs = make_jobs(cfg, template, model_key, prompts, options)
    fill_from_cache(jobs, cache)
    client = TeacherClient(
        endpoint.base_url,
        endpoint.api_key,
        endpoint.model,
        chat=cfg.chat,
        temperature=cfg.temperature,
        max_tokens=cfg.max_tokens,
        stop=[*template.stop, *cfg.stop],
        timeout_s=cfg.timeout_s,
        retry=retry or RetryPolicy(max_retries=cfg.max_retries),
        **options,
    )
    meta = {
        "model": endpoint.model,
        "template": template.name,
        "template_version": template.version,
    }
    try:
        stats = await run_jobs(jobs, client, cache, cfg.concurrency, meta, progress)
    finally:
        await client.close()
    rows = [
        _row(example, job, template, examples) for example, job in zip(examples, jobs, strict=True)
    ]
    summary = {
        "model": endpoint.model,
        "base_url": endpoint.base_url,
        "template": template.name,
        "template_version": template.version,
        "examples": len(rows),
        **stats.counts,
        "parse_failures": sum(not p["ok"] for row in rows for p in row["parsed"]),
        "requests_made": client.requests_made,
        "duplicates": sum(bool(row["duplicate_of"]) for row in rows),
        "prompt_tokens": stats.prompt_tokens,
        "completion_tokens": stats.completion_tokens,
        "cost": cost_summary(
            endpoint.model, stats.prompt_tokens, stats.completion_tokens, cfg.prices
        ),
        "corrupt_cache_entries": cache.corrupt,
        "blocked_cache_entries": cache.blocked,
        "wall_s": round(time.monotonic() - started, 3),
        "failures": [{"id": row["id"], "reason": row["error"]} for row in rows if row["error"]],
        "cache_write_failures": [
            {"id": row["id"], "reason": row["cache_error"]} for row in rows if row["cache_error"]
        ],
    }
    return rows, summary


def generate(
    cfg: TeacherConfig,
    examples: list[dict[str, Any]],
    run_dir: str | Path,
    demo: dict[str, Any] | None = None,
    *,
    profile: str = "smoke",
    retry: RetryPolicy | None = None,
    progress: bool = True,
    extra_body: dict[str, Any] | None = None,
    response_format: dict[str, Any] | None = None,
) -> GenerationReport:
    """Send every example (id, input, ...) to the teacher; write and return outputs and summary."""
    template = get_template(cfg.template)
    examples = checked_examples(examples, cfg.limit)
    examples, prompts, too_long = within_prompt_limit(
        cfg, examples, render_prompts(cfg, template, examples, demo)
    )
    cache = open_cache(cfg)  # before any endpoint starts: a bad cache_dir is said at once
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    with resolve_endpoint(cfg, profile) as endpoint:
        cost_estimate = estimate_cost(endpoint.model, prompts, cfg.max_tokens, cfg.n, cfg.prices)
        log.info(
            "teacher: %d prompts to %s, estimated at most $%.4f (%s)",
            len(prompts),
            endpoint.model,
            cost_estimate["usd"],
            cost_estimate["note"],
        )
        options = request_options(extra_body, response_format)
        rows, summary = run_sync(
            _generate_async(
                cfg, template, examples, prompts, cache, endpoint, retry, progress, options
            )
        )
    summary["estimate"] = cost_estimate
    summary["skipped_long_prompts"] = too_long
    secrets = (os.environ.get(cfg.api_key_env, ""),)
    _write_atomic(
        run_dir / "teacher_outputs.jsonl",
        scrub("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), secrets),
    )
    _write_atomic(run_dir / "teacher_summary.json", scrub(json.dumps(summary, indent=2), secrets))
    return GenerationReport(rows=rows, summary=summary, format=template.format, examples=examples)
