"""Verifying many answers fast: a pool of pre-started worker processes, and `verify_many`.

A worker is a separate Python process (`python -m distill_lib.verify.batch <kind>`) that imports its verifier
once (sympy for equations), then serves requests, one JSON line each, over stdin/stdout. For a program it forks
a confined child (`isolation.run_isolated`) that runs the untrusted code under resource limits and a wall-clock
deadline, so one bad program cannot poison the next. Equation systems are not code: they are restricted to
arithmetic characters and names mapped to plain Symbols, then parsed and solved inside the warm worker under an
alarm deadline and a memory cap for the worker (SymPy's `parse_expr` compiles its sanitised token stream
internally; nothing from the text reaches Python's `eval` with builtins).
The pool talks to its workers from one thread each; a worker that stops answering (it should not: the child
carries the timeout) is killed after a grace period and replaced.

Kinds: "program" (PoT, `sandbox.execute_here`) and "equations" (EoT, `equations.solve_here`).

Deliberately left out: caching of results, and any scheduling beyond "next free worker".
"""

from __future__ import annotations

import atexit
import gc
import importlib
import json
import os
import queue
import select
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from distill_lib.verify.result import VerifyResult

# kind -> (module, function, isolation): "fork" runs each request in a confined child (untrusted code);
# "alarm" runs it in the worker under a SIGALRM deadline and the worker's memory cap (text that is checked
# and parsed without any code execution, where warm caches make it much faster than a fork per request)
HANDLERS = {"program": ("distill_lib.verify.sandbox", "execute_here", "fork"),
            "equations": ("distill_lib.verify.equations", "solve_here", "alarm")}
# run once in the worker itself (trusted text) so that lazy imports happen before children lose file access
WARM_UP = {"program": ["from fractions import Fraction\nimport math, statistics, decimal\nans = Fraction(1, 3)"],
           "equations": ["x + 2y = 7\ny = 3 * 50% \nans = x", "x * y = 12\nx = 3.5\nans = sqrt(y)",
                         "x**2 = 16\nans = x", "x + y = 1\nans = x", "x = 1\nx = 2\nans = x"]}
START_TIMEOUT_S = 60.0
GRACE_S = 10.0  # on top of the request's own timeout, before the pool gives up on a worker
PACKAGE_ROOT = Path(__file__).resolve().parents[2]


class _Worker:
    """One worker process and its line-oriented JSON channel."""

    def __init__(self, kind: str, memory_mb: int) -> None:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(PACKAGE_ROOT),
                                                                        os.environ.get("PYTHONPATH")])))
        command = [sys.executable, "-m", "distill_lib.verify.batch", kind, str(memory_mb)]
        self.process = subprocess.Popen(command,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self.buffer = b""
        ready = self._read_line(time.monotonic() + START_TIMEOUT_S)
        if ready != b"ready":
            self.close()
            raise RuntimeError(f"verifier worker for {kind!r} did not start (said {ready[:200]!r})")

    def request(self, text: str, timeout_s: float, memory_mb: int) -> VerifyResult:
        line = json.dumps({"text": text, "timeout_s": timeout_s, "memory_mb": memory_mb}) + "\n"
        self.process.stdin.write(line.encode())
        self.process.stdin.flush()
        return VerifyResult.from_dict(json.loads(self._read_line(time.monotonic() + timeout_s + GRACE_S)))

    def _read_line(self, deadline: float) -> bytes:
        fd = self.process.stdout.fileno()
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise TimeoutError("verifier worker did not answer in time")
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise EOFError(f"verifier worker exited (code {self.process.poll()})")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:  # unflushed input to a dead worker
                pass


class VerifierPool:
    """`workers` pre-started verifier processes of one kind; `run` and `map` are thread-safe."""

    def __init__(self, kind: str = "program", workers: int = 2, timeout_s: float = 5.0,
                 memory_mb: int = 512) -> None:
        """memory_mb: per request for "program" (may be overridden in `run`); per worker for "equations"."""
        if kind not in HANDLERS:
            raise ValueError(f"unknown verifier kind {kind!r}; expected one of {sorted(HANDLERS)}")
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.kind, self.workers, self.timeout_s, self.memory_mb = kind, workers, timeout_s, memory_mb
        self.idle: queue.Queue[_Worker] = queue.Queue()
        for _ in range(workers):
            self.idle.put(_Worker(kind, memory_mb))

    def run(self, text: str, timeout_s: float | None = None, memory_mb: int | None = None) -> VerifyResult:
        """Verify one text on the next free worker."""
        if not isinstance(text, str):
            return VerifyResult(None, "error", f"expected a string, got {type(text).__name__}")
        timeout_s = self.timeout_s if timeout_s is None else timeout_s
        memory_mb = self.memory_mb if memory_mb is None else memory_mb
        worker = self.idle.get()
        try:
            if worker.process.poll() is not None:  # a replacement that failed to start earlier: try again
                worker = _Worker(self.kind, self.memory_mb)
            return worker.request(text, timeout_s, memory_mb)
        except (TimeoutError, EOFError, BrokenPipeError, ValueError, OSError) as err:
            worker.close()
            status = "timeout" if isinstance(err, TimeoutError) else "error"
            try:
                worker = _Worker(self.kind, self.memory_mb)
            except Exception as start_error:  # noqa: BLE001 - the next request retries the start
                return VerifyResult(None, status, f"{err}; worker restart failed: {start_error}")
            return VerifyResult(None, status, f"worker replaced: {err}")
        finally:
            self.idle.put(worker)

    def map(self, texts: Sequence[str]) -> list[VerifyResult]:
        """Verify every text, in order, using all workers."""
        with ThreadPoolExecutor(max_workers=self.workers) as executor:
            return list(executor.map(self.run, texts))

    def close(self) -> None:
        while not self.idle.empty():
            self.idle.get().close()

    def __enter__(self) -> VerifierPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


_SHARED: dict[tuple, VerifierPool] = {}


def shared_pool(kind: str, workers: int = 1, timeout_s: float = 5.0) -> VerifierPool:
    """A process-wide pool of `kind`, started on first use, kept warm between calls and closed at exit."""
    key = (kind, workers, timeout_s)
    if key not in _SHARED:
        _SHARED[key] = VerifierPool(kind, workers=workers, timeout_s=timeout_s)
        atexit.register(_SHARED[key].close)
    return _SHARED[key]


def verify_many(fmt: str, texts: Sequence[str], workers: int = 2, timeout_s: float = 5.0) -> list[VerifyResult]:
    """Answers for many teacher outputs of one format: cot (extraction), pot (sandbox), eot (solver)."""
    if fmt == "cot":
        from distill_lib.verify.answer import extract_cot_answer

        answers = [extract_cot_answer(text) for text in texts]
        return [VerifyResult(a, "ok") if a is not None else VerifyResult(None, "no_answer", "no number in text")
                for a in answers]
    kinds = {"pot": "program", "eot": "equations"}
    if fmt not in kinds:
        raise ValueError(f"unknown format {fmt!r}; expected cot, pot or eot")
    return shared_pool(kinds[fmt], workers, timeout_s).map(texts)  # warm workers: no 1 s start per call


def serve(kind: str, memory_mb: int) -> None:
    """Worker main loop: load the verifier once, then answer one JSON request line at a time."""
    from distill_lib.verify.isolation import limit_memory, run_isolated, run_with_alarm

    module_name, function_name, isolation = HANDLERS[kind]
    handler = getattr(importlib.import_module(module_name), function_name)
    for text in WARM_UP[kind]:
        handler(text)
    gc.freeze()  # children share these objects; keeping the collector off them avoids copy-on-write faults
    if isolation == "alarm":
        limit_memory(memory_mb)
    out = sys.stdout.buffer
    out.write(b"ready\n")
    out.flush()
    for line in sys.stdin.buffer:
        request = json.loads(line)
        if isolation == "fork":
            result = run_isolated(handler, request["text"], request["timeout_s"], request["memory_mb"])
        else:
            result = run_with_alarm(handler, request["text"], request["timeout_s"])
        out.write(json.dumps(result.to_dict()).encode() + b"\n")
        out.flush()
        if result.status == "memory" and isolation == "alarm":
            break  # a worker that ran out of memory may be in a bad state: exit, the pool starts a new one


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
