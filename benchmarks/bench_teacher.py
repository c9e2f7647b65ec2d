"""Teacher throughput: the concurrency target, speedup, client overhead and the cost of a fully
cached rerun.

    python benchmarks/bench_teacher.py          # fault-free local server, fixed 50 ms latency
    python benchmarks/bench_teacher.py --quick  # a few requests: a smoke run in seconds
    python benchmarks/bench_teacher.py --server transformers  # a tiny model, `transformers serve`

The target: at concurrency 64 against a server that answers after 1 s, at least 90% of the ideal
speedup on two cores. The `target` record runs `generate` on a few hundred fresh requests at that
setting (in its own server process) and reports the fraction of the ideal: ideal wall time (rounds
of 64 requests x the latency) over the measured one, with the client's CPU time per request (this
process: rendering, the openai SDK, cache writes, parsing) and the cores this process may use. The
same requests from 64 threads running bare http.client loops give what the server and the machine
allow (`bare_client_fraction_of_ideal`).

Then `generate` runs end to end (render, cache, requests, parse, write) at concurrency 1, 8 and 32,
then once more with everything cached. Overhead per request = wall time at concurrency 1 / requests
- server latency; it holds the server's own handling and the loopback, so the same server is also
timed with a bare keep-alive `http.client` loop (the floor), and the client's overhead = overhead -
floor. The client's CPU time per request (this process only) is the second, independent measure. Of
the client's overhead, the cache write per response (a file created and renamed into a fresh cache,
the filesystem's cost more than Python's) is timed on its own. Writes runs/bench/teacher.json (or
teacher_transformers.json) and prints one summary line; the load average is recorded because other
jobs on the machine take CPU from the client. Deliberately left out: network latency, remote servers
and any assertion about speed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from distill_lib.config_sections import TeacherConfig  # noqa: E402
from distill_lib.models.precision import cpu_model  # noqa: E402
from distill_lib.teacher import EmbeddedServer, generate  # noqa: E402
from distill_lib.teacher.cache import ResponseCache, request_key  # noqa: E402


@contextmanager
def latency_server(latency_s: float):
    from fault_server import spawn_latency_server

    # own process: its CPU and GIL are not the client's
    with spawn_latency_server(latency_s) as base_url:
        yield base_url, "bench-model"


@contextmanager
def transformers_server(workdir: Path):
    from distill_lib.models.tiny import tiny_causal, train_tokenizer

    tokenizer = train_tokenizer(["Q: how many? A: The answer is (1 + 2)."] * 50, vocab_size=300)
    tokenizer.chat_template = (
        "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
        "{% if add_generation_prompt %}assistant:{% endif %}"
    )
    tiny_causal(tokenizer).save_pretrained(workdir / "model")
    tokenizer.save_pretrained(workdir / "model")
    server = EmbeddedServer(workdir / "model", log_path=workdir / "serve.log")
    with server as base_url:
        yield base_url, server.model


def timed_run(
    base_url: str, model: str, count: int, concurrency: int, cache_dir: Path, max_tokens: int
) -> dict:
    examples = [{"id": str(i), "input": f"Problem {i}: how many?"} for i in range(count)]
    cfg = TeacherConfig(
        model=model,
        base_url=base_url,
        template="svamp",
        concurrency=concurrency,
        max_tokens=max_tokens,
        cache_dir=str(cache_dir),
    )
    cpu, started = time.process_time(), time.monotonic()
    summary = generate(cfg, examples, cache_dir / "run", progress=False).summary
    # this process only: the client, not the server
    cpu_ms = 1000 * (time.process_time() - cpu) / count
    return {
        "concurrency": concurrency,
        "wall_s": summary["wall_s"],
        "requests": summary["requests_made"],
        # the whole call: files and set-up included
        "call_wall_s": round(time.monotonic() - started, 3),
        "failed": summary["failed"],
        "client_cpu_ms_per_example": round(cpu_ms, 3),
    }


def target_run(latency_ms: float, count: int, concurrency: int, workdir: Path) -> dict:
    """`generate` at the target setting: fresh requests, own server process; fraction of the ideal
    speedup."""
    with latency_server(latency_ms / 1000) as (base_url, model):
        run = timed_run(base_url, model, count, concurrency, workdir / "target", 8)
        floor_s = bare_concurrent_s(base_url, count, concurrency)
    # every round waits exactly the latency
    ideal_s = math.ceil(count / concurrency) * latency_ms / 1000
    wall_s = run["call_wall_s"]  # the whole generate call, not only its request phase
    return {
        "concurrency": concurrency,
        "latency_ms": latency_ms,
        "requests": count,
        "failed": run["failed"],
        "wall_s": wall_s,
        "ideal_wall_s": ideal_s,
        "speedup": round(count * latency_ms / 1000 / wall_s, 2),
        "ideal_speedup": round(count * latency_ms / 1000 / ideal_s, 2),
        "fraction_of_ideal": round(ideal_s / wall_s, 3),
        "bare_client_wall_s": round(floor_s, 3),
        "bare_client_fraction_of_ideal": round(ideal_s / floor_s, 3),
        "client_cpu_ms_per_request": run["client_cpu_ms_per_example"],
        "cores": len(os.sched_getaffinity(0)),
        "goal": 0.9,
    }


def bare_concurrent_s(base_url: str, count: int, concurrency: int) -> float:
    """Wall seconds for `count` requests from `concurrency` threads, each a bare keep-alive
    http.client loop.

    What the server and this machine (its load included) allow: the target's fraction of the ideal
    is read against this one, which has next to no client work.
    """
    url = urlsplit(base_url)
    body = json.dumps(
        {"model": "bench-model", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}
    )

    def worker(share: int) -> None:
        connection = http.client.HTTPConnection(url.hostname, url.port)
        for _ in range(share):
            connection.request(
                "POST", url.path + "/chat/completions", body, {"Content-Type": "application/json"}
            )
            connection.getresponse().read()
        connection.close()

    shares = [count // concurrency + (i < count % concurrency) for i in range(concurrency)]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(worker, shares))
    return time.monotonic() - started


def floor_ms_per_request(base_url: str, count: int = 100) -> float:
    """Wall ms per request of a bare sequential keep-alive loop: server handling + loopback +
    latency."""
    url = urlsplit(base_url)
    body = json.dumps(
        {"model": "bench-model", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}
    )
    connection = http.client.HTTPConnection(url.hostname, url.port)
    started = time.monotonic()
    for _ in range(count):
        connection.request(
            "POST", url.path + "/chat/completions", body, {"Content-Type": "application/json"}
        )
        connection.getresponse().read()
    connection.close()
    return 1000 * (time.monotonic() - started) / count


def cache_put_ms(folder: Path, count: int = 200) -> float:
    """Wall ms per ResponseCache.put of a typical response into a fresh cache (the same as a first
    run's)."""
    cache = ResponseCache(folder)
    payload = {
        "text": "The answer is (1 + 2). " * 8,
        "finish_reason": "stop",
        "model": "bench-model",
        "usage": {"prompt_tokens": 120, "completion_tokens": 40},
        "template": "svamp",
        "template_version": 1,
    }
    started = time.monotonic()
    for i in range(count):
        cache.put(request_key({"bench": i}), payload)
    return 1000 * (time.monotonic() - started) / count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", choices=["latency", "transformers"], default="latency")
    parser.add_argument(
        "--requests", type=int, default=None, help="default 500 (latency) / 200 (transformers)"
    )
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument(
        "--out", default=None, help="default runs/bench/teacher.json (teacher_transformers.json)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="24 requests, 5 ms latency, one target round"
    )
    parser.add_argument(
        "--target-requests", type=int, default=None, help="default --requests, at most 320"
    )
    parser.add_argument("--target-latency-ms", type=float, default=1000.0)
    parser.add_argument("--target-concurrency", type=int, default=64)
    args = parser.parse_args(argv)
    if args.quick:
        args.requests, args.latency_ms = args.requests or 24, 5.0
    count = args.requests or (500 if args.server == "latency" else 200)
    target_count = args.target_requests or min(count, 320)
    levels = [1, 8, 32] if args.server == "latency" else [1, 8]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        server = (
            latency_server(args.latency_ms / 1000)
            if args.server == "latency"
            else transformers_server(workdir)
        )
        with server as (base_url, model):
            floor = floor_ms_per_request(base_url) if args.server == "latency" else None
            runs = [timed_run(base_url, model, count, c, workdir / f"c{c}", 8) for c in levels]
            cached = timed_run(base_url, model, count, levels[-1], workdir / f"c{levels[-1]}", 8)
        put_ms = cache_put_ms(workdir / "put")
        target = (
            target_run(args.target_latency_ms, target_count, args.target_concurrency, workdir)
            if args.server == "latency"
            else None
        )
    base = runs[0]["wall_s"]
    for run in runs:
        run["speedup"] = round(base / run["wall_s"], 2)
        run["efficiency"] = round(base / run["wall_s"] / run["concurrency"], 3)
    result = {
        "server": args.server,
        "requests": count,
        "target": target,
        "runs": runs,
        "cached_rerun": cached,
        "cache_put_ms": round(put_ms, 3),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "machine": {"cpu": cpu_model(), "cpus": os.cpu_count()},
    }
    if args.server == "latency":
        result["latency_ms"] = args.latency_ms
        result["overhead_ms_per_request"] = round(1000 * base / count - args.latency_ms, 3)
        result["floor_overhead_ms_per_request"] = round(floor - args.latency_ms, 3)
        result["client_overhead_ms_per_request"] = round(1000 * base / count - floor, 3)
    default = (
        ROOT
        / "runs"
        / "bench"
        / ("teacher.json" if args.server == "latency" else "teacher_transformers.json")
    )
    out = Path(args.out) if args.out else default
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(summary_line(result, out))


def summary_line(result: dict, out: Path) -> str:
    runs, cached, target = result["runs"], result["cached_rerun"], result["target"]
    speeds = ", ".join(
        f"c{r['concurrency']} {r['wall_s']:.2f}s (x{r['speedup']}, {r['efficiency']:.0%})"
        for r in runs
    )
    overhead = (
        f"; overhead {result['overhead_ms_per_request']:.2f} ms/request, of which the client's "
        f"{result['client_overhead_ms_per_request']:.2f}, cache write {result['cache_put_ms']:.2f} "
        f"(client CPU c1 {runs[0]['client_cpu_ms_per_example']:.2f}"
        f", c{runs[-1]['concurrency']} {runs[-1]['client_cpu_ms_per_example']:.2f} ms/request)"
        if "latency_ms" in result
        else ""
    )
    goal = (
        f"; target c{target['concurrency']} at {target['latency_ms']:.0f} ms, {target['requests']} "
        "requests: "
        f"{target['wall_s']:.2f}s = {target['fraction_of_ideal']:.0%} of ideal on "
        f"{target['cores']} cores "
        f"(bare client {target['bare_client_fraction_of_ideal']:.0%}), "
        f"client CPU {target['client_cpu_ms_per_request']:.2f} ms/request"
        if target
        else ""
    )
    return (
        f"teacher bench [{result['server']}, {result['requests']} requests]{goal}: "
        f"{speeds}{overhead}; "
        f"cached rerun {cached['wall_s']:.2f}s with {cached['requests']} requests; "
        f"load {result['loadavg'][0]} -> {out}"
    )


if __name__ == "__main__":
    main()
