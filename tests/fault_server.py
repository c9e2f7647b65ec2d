"""A fault-injecting OpenAI-compatible HTTP server for tests and benchmarks (stdlib only, one thread
each).

`FaultServer(plan=...)` answers POST /v1/chat/completions and /v1/completions. `plan(prompt,
attempt)` returns the action for the attempt-th request (1-based) carrying that prompt: "ok", "429"
(with Retry-After), "500", "hang" (sleep past the client timeout, then close), "drop" (close the
connection without answering), "malformed" (200 with broken JSON), "400", "401echo" (401 whose
message echoes the Authorization header, as a careless server might), "redirect" (307 to the same
path under `redirect_to`, another server's origin). It counts requests and successful answers per
prompt (the last user message, or the completion prompt) so tests can assert that nothing was lost
or paid twice, and keeps every request's path, headers and body (`calls`).

`spawn_latency_server(latency_s)` runs a fault-free one in a child process (`python
tests/fault_server.py --latency-s 0.05`): benchmarks use it so that the server's CPU and GIL are not
charged to the client measured.

Deliberately left out: streaming, logprobs and the other OpenAI endpoints.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

Plan = Callable[[str, int], str]


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 refuses connections at concurrency 32
    request_queue_size = 256


def always_ok(prompt: str, attempt: int) -> str:
    return "ok"


class FaultServer:
    def __init__(
        self,
        plan: Plan = always_ok,
        reply: Callable[[str], str] | None = None,
        latency_s: float = 0.0,
        hang_s: float = 3.0,
        retry_after: str = "0.2",
        honour_n: bool = False,
        redirect_to: str = "",
    ):
        self.plan, self.latency_s, self.hang_s, self.retry_after = (
            plan,
            latency_s,
            hang_s,
            retry_after,
        )
        self.reply = reply or (lambda prompt: " It is so. So the answer is (a) yes.")
        self.honour_n, self.redirect_to = honour_n, redirect_to
        self.lock = threading.Lock()
        self.calls: list[dict[str, Any]] = []  # method, path, headers (lower-case names), raw body
        self.requests: Counter[str] = Counter()
        self.successes: Counter[str] = Counter()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.httpd = Server(("127.0.0.1", 0), self._handler_class())
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FaultServer:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def reset_counts(self) -> None:
        with self.lock:
            self.requests.clear()
            self.successes.clear()
            self.times.clear()
            self.calls.clear()

    def _register(self, prompt: str) -> int:
        with self.lock:
            self.requests[prompt] += 1
            self.times[prompt].append(time.monotonic())
            return self.requests[prompt]

    def record(self, method: str, path: str, headers: Any, body: bytes) -> None:
        with self.lock:
            self.calls.append(
                {
                    "method": method,
                    "path": path,
                    "body": body,
                    "headers": {name.lower(): value for name, value in headers.items()},
                }
            )

    def _succeeded(self, prompt: str) -> None:
        with self.lock:
            self.successes[prompt] += 1

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # headers and body leave in one write (flushed after each request): one wake-up
            wbufsize = 1 << 16

            def setup(self) -> None:
                # headers and body go out in two writes: without NODELAY, Nagle adds ~40 ms
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args: object) -> None:
                pass

            def send_json(
                self, status: int, body: str | bytes, headers: dict[str, str] | None = None
            ) -> None:
                data = body.encode() if isinstance(body, str) else body
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def read_body(self) -> bytes:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server.record(self.command, self.path, self.headers, raw)
                return raw

            def do_POST(self) -> None:
                body = json.loads(self.read_body())
                chat = urlsplit(self.path).path.endswith("/chat/completions")
                prompt = body["messages"][-1]["content"] if chat else body["prompt"]
                action = server.plan(prompt, server._register(prompt))
                time.sleep(server.latency_s)
                if action == "ok":
                    self.send_json(200, json.dumps(server.completion_body(body, prompt, chat)))
                    server._succeeded(prompt)
                elif action in ("drop", "hang"):
                    time.sleep(server.hang_s if action == "hang" else 0)
                    self.close_connection = True
                elif action == "malformed":
                    self.send_json(200, '{"id": "x", "choices": [{"index": 0, "mess')
                elif action == "redirect":
                    self.send_json(
                        307, "{}", {"Location": server.redirect_to + urlsplit(self.path).path}
                    )
                elif action == "401echo":
                    auth = self.headers.get("Authorization", "")
                    self.send_json(
                        401,
                        json.dumps({"error": {"message": f"Incorrect API key provided: {auth}"}}),
                    )
                else:
                    status = int(action)
                    headers = {"Retry-After": server.retry_after} if status == 429 else {}
                    self.send_json(
                        status, json.dumps({"error": {"message": f"injected {status}"}}), headers
                    )

        return Handler

    def completion_body(self, body: dict, prompt: str, chat: bool) -> dict:
        n = int(body.get("n") or 1) if self.honour_n else 1
        text = self.reply(prompt)
        choices = [
            (
                {
                    "index": i,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
                if chat
                else {"index": i, "text": text, "finish_reason": "stop"}
            )
            for i in range(n)
        ]
        return {
            "id": "cmpl-test",
            "object": "chat.completion" if chat else "text_completion",
            "created": 0,
            "model": body.get("model", ""),
            "choices": choices,
            "usage": {
                "prompt_tokens": len(prompt) // 4,
                "completion_tokens": 10 * n,
                "total_tokens": len(prompt) // 4 + 10 * n,
            },
        }


@contextmanager
def spawn_latency_server(latency_s: float) -> Iterator[str]:
    """A fault-free FaultServer answering after `latency_s`, in a child process; yields its base
    URL."""
    child = subprocess.Popen(
        [sys.executable, __file__, "--latency-s", str(latency_s)], stdout=subprocess.PIPE, text=True
    )
    try:
        base_url = child.stdout.readline().strip()  # the child prints its URL once it listens
        if not base_url.startswith("http"):
            raise RuntimeError(f"fault server did not start (exit code {child.poll()})")
        yield base_url
    finally:
        child.terminate()
        child.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve a fault-free FaultServer until terminated.")
    parser.add_argument("--latency-s", type=float, default=0.0)
    args = parser.parse_args()
    server = FaultServer(latency_s=args.latency_s)
    print(server.base_url, flush=True)
    server.httpd.serve_forever()


if __name__ == "__main__":
    main()
