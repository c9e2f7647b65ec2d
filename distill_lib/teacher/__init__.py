"""The teacher stage: prompt an LLM behind any OpenAI-compatible endpoint, cached, resumable, costed.

    from distill_lib.teacher import generate
    report = generate(cfg.teacher, records, run_dir, demo=None)   # writes teacher_outputs.jsonl + summary
    dataset = report.to_dataset()

Modules: client (one async client, retries), cache (per-request files), runner (concurrency, progress),
cost (prices, estimates), server (embedded `transformers serve`), batch (OpenAI Batch API files),
generate (the high-level call). Deliberately left out: verification and filtering of teacher outputs.
"""

from distill_lib.teacher.cache import ResponseCache, request_key
from distill_lib.teacher.client import Completion, RequestFailed, RetryPolicy, TeacherClient, scrub
from distill_lib.teacher.cost import cost_summary, estimate_cost, price_for
from distill_lib.teacher.generate import GenerationReport, estimate, generate, run_sync
from distill_lib.teacher.server import EmbeddedServer, Endpoint, free_port, resolve_endpoint

__all__ = ["Completion", "EmbeddedServer", "Endpoint", "GenerationReport", "RequestFailed", "ResponseCache",
           "RetryPolicy", "TeacherClient", "cost_summary", "estimate", "estimate_cost", "free_port", "generate",
           "price_for", "request_key", "resolve_endpoint", "run_sync", "scrub"]
