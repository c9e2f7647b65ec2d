"""Teacher throughput: concurrency speedup, client overhead and the cost of a fully cached rerun.

    python benchmarks/bench_teacher.py                       # fault-free local server, fixed 50 ms latency
    python benchmarks/bench_teacher.py --server transformers # a tiny model behind `transformers serve`

Runs `generate` end to end (render, cache, requests, parse, write) at concurrency 1, 8 and 32, then once more
with everything cached. Overhead per request = wall time at concurrency 1 / requests - server latency; it holds
the server's own handling and the loopback, so the same server is also timed with a bare keep-alive
`http.client` loop (the floor), and the client's overhead = overhead - floor. The client's CPU time per request
(this process only) is the second, independent measure. Of the client's overhead, the cache write per response
(a file created and renamed into a fresh cache, the filesystem's cost more than Python's) is timed on its own.
Writes runs/bench/teacher.json (or teacher_transformers.json) and prints one summary line.
Deliberately left out: network latency and remote servers.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from distill_lib.config import TeacherConfig  # noqa: E402
from distill_lib.teacher import EmbeddedServer, generate  # noqa: E402
from distill_lib.teacher.cache import ResponseCache, request_key  # noqa: E402


@contextmanager
def latency_server(latency_s: float):
    from fault_server import spawn_latency_server

    with spawn_latency_server(latency_s) as base_url:  # own process: its CPU and GIL are not the client's
        yield base_url, "bench-model"


@contextmanager
def transformers_server(workdir: Path):
    from distill_lib.models.tiny import tiny_causal, train_tokenizer

    tokenizer = train_tokenizer(["Q: how many? A: The answer is (1 + 2)."] * 50, vocab_size=300)
    tokenizer.chat_template = ("{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
                               "{% if add_generation_prompt %}assistant:{% endif %}")
    tiny_causal(tokenizer).save_pretrained(workdir / "model")
    tokenizer.save_pretrained(workdir / "model")
    server = EmbeddedServer(workdir / "model", log_path=workdir / "serve.log")
    with server as base_url:
        yield base_url, server.model


def timed_run(base_url: str, model: str, count: int, concurrency: int, cache_dir: Path, max_tokens: int) -> dict:
    examples = [{"id": str(i), "input": f"Problem {i}: how many?"} for i in range(count)]
    cfg = TeacherConfig(model=model, base_url=base_url, template="svamp", concurrency=concurrency,
                        max_tokens=max_tokens, cache_dir=str(cache_dir))
    cpu = time.process_time()
    summary = generate(cfg, examples, cache_dir / "run", progress=False).summary
    cpu_ms = 1000 * (time.process_time() - cpu) / count  # this process only: the client, not the server
    return {"concurrency": concurrency, "wall_s": summary["wall_s"], "requests": summary["requests_made"],
            "failed": summary["failed"], "client_cpu_ms_per_example": round(cpu_ms, 3)}


def floor_ms_per_request(base_url: str, count: int = 100) -> float:
    """Wall ms per request of a bare sequential keep-alive loop: server handling + loopback + latency."""
    url = urlsplit(base_url)
    body = json.dumps({"model": "bench-model", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]})
    connection = http.client.HTTPConnection(url.hostname, url.port)
    started = time.monotonic()
    for _ in range(count):
        connection.request("POST", url.path + "/chat/completions", body, {"Content-Type": "application/json"})
        connection.getresponse().read()
    connection.close()
    return 1000 * (time.monotonic() - started) / count


def cache_put_ms(folder: Path, count: int = 200) -> float:
    """Wall ms per ResponseCache.put of a typical response into a fresh cache (the same as a first run's)."""
    cache = ResponseCache(folder)
    payload = {"text": "The answer is (1 + 2). " * 8, "finish_reason": "stop", "model": "bench-model",
               "usage": {"prompt_tokens": 120, "completion_tokens": 40}, "template": "svamp", "template_version": 1}
    started = time.monotonic()
    for i in range(count):
        cache.put(request_key({"bench": i}), payload)
    return 1000 * (time.monotonic() - started) / count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", choices=["latency", "transformers"], default="latency")
    parser.add_argument("--requests", type=int, default=None, help="default 500 (latency) / 200 (transformers)")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--out", default=None, help="default runs/bench/teacher.json (teacher_transformers.json)")
    args = parser.parse_args(argv)
    count = args.requests or (500 if args.server == "latency" else 200)
    levels = [1, 8, 32] if args.server == "latency" else [1, 8]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        server = (latency_server(args.latency_ms / 1000) if args.server == "latency"
                  else transformers_server(workdir))
        with server as (base_url, model):
            floor = floor_ms_per_request(base_url) if args.server == "latency" else None
            runs = [timed_run(base_url, model, count, c, workdir / f"c{c}", 8) for c in levels]
            cached = timed_run(base_url, model, count, levels[-1], workdir / f"c{levels[-1]}", 8)
        put_ms = cache_put_ms(workdir / "put")
    base = runs[0]["wall_s"]
    for run in runs:
        run["speedup"] = round(base / run["wall_s"], 2)
        run["efficiency"] = round(base / run["wall_s"] / run["concurrency"], 3)
    result = {"server": args.server, "requests": count, "runs": runs, "cached_rerun": cached,
              "cache_put_ms": round(put_ms, 3),
              "loadavg": [round(x, 2) for x in os.getloadavg()]}
    if args.server == "latency":
        result["latency_ms"] = args.latency_ms
        result["overhead_ms_per_request"] = round(1000 * base / count - args.latency_ms, 3)
        result["floor_overhead_ms_per_request"] = round(floor - args.latency_ms, 3)
        result["client_overhead_ms_per_request"] = round(1000 * base / count - floor, 3)
    default = ROOT / "runs" / "bench" / ("teacher.json" if args.server == "latency" else "teacher_transformers.json")
    out = Path(args.out) if args.out else default
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    speeds = ", ".join(f"c{r['concurrency']} {r['wall_s']:.2f}s (x{r['speedup']}, {r['efficiency']:.0%})" for r in runs)
    overhead = (f"; overhead {result['overhead_ms_per_request']:.2f} ms/request, of which the client's "
                f"{result['client_overhead_ms_per_request']:.2f}, cache write {put_ms:.2f} "
                f"(client CPU c1 {runs[0]['client_cpu_ms_per_example']:.2f}"
                f", c{runs[-1]['concurrency']} {runs[-1]['client_cpu_ms_per_example']:.2f} ms/request)"
                if "latency_ms" in result else "")
    print(f"teacher bench [{args.server}, {count} requests]: {speeds}{overhead}; cached rerun "
          f"{cached['wall_s']:.2f}s with {cached['requests']} requests; load {result['loadavg'][0]} -> {out}")


if __name__ == "__main__":
    main()
