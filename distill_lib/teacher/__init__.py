"""The teacher stage: prompt an LLM behind any OpenAI-compatible endpoint, cached, resumable,
costed.

    from distill_lib.teacher import generate
    report = generate(cfg.teacher, records, run_dir, demo=None)  # teacher_outputs.jsonl + summary
    dataset = report.to_dataset()

Modules: client (the openai SDK client, the one retry layer), cache (per-request files), runner
(concurrency, duplicate prompts, progress), cost (prices, estimates), server (embedded `transformers
serve`), batch_api (the OpenAI Batch API end to end), generate (the high-level call). Deliberately
left out: verification and filtering of teacher outputs.
"""

from distill_lib.teacher.batch_api import import_batch_results, run_batch, write_batch_requests
from distill_lib.teacher.cache import ResponseCache, request_key
from distill_lib.teacher.client import Completion, TeacherClient, run_sync
from distill_lib.teacher.cost import cost_summary, estimate_cost, price_for
from distill_lib.teacher.generate import GenerationReport, generate
from distill_lib.teacher.requests import estimate
from distill_lib.teacher.retry import RequestFailed, RetryPolicy, scrub
from distill_lib.teacher.server import EmbeddedServer, Endpoint, free_port, resolve_endpoint

__all__ = [
    "Completion",
    "EmbeddedServer",
    "Endpoint",
    "GenerationReport",
    "RequestFailed",
    "ResponseCache",
    "RetryPolicy",
    "TeacherClient",
    "cost_summary",
    "estimate",
    "estimate_cost",
    "free_port",
    "generate",
    "import_batch_results",
    "price_for",
    "request_key",
    "resolve_endpoint",
    "run_batch",
    "run_sync",
    "scrub",
    "write_batch_requests",
]
