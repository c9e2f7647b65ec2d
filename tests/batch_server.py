"""A local stand-in for the OpenAI Files and Batch endpoints (stdlib only), built on FaultServer.

`BatchServer(in_progress_polls=2, fail=...)` answers POST /v1/files (multipart upload), POST
/v1/batches, GET /v1/batches/{id} ("in_progress" for the first `in_progress_polls` polls, then
"completed" with an output file, and an error file when some lines failed) and GET
/v1/files/{id}/content. Each request line is answered like FaultServer answers a chat request,
except lines whose body `fail(body)` marks: those go to the error file with status 429. Chat and
completion requests still reach FaultServer's handler, so a test can count what `generate` sends
afterwards (`requests`), and `routes` counts the batch calls per route.

Deliberately left out: cancelling, listing, expiry and the 24 h window.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from email.parser import BytesParser
from email.policy import default as default_policy
from typing import Any
from urllib.parse import urlsplit

from fault_server import FaultServer


def multipart_fields(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    """name -> (filename, bytes) of a multipart/form-data body."""
    message = BytesParser(policy=default_policy).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    return {
        part.get_param("name", header="content-disposition"): (
            part.get_filename(),
            part.get_payload(decode=True),
        )
        for part in message.iter_parts()
    }


class BatchServer(FaultServer):
    def __init__(
        self,
        in_progress_polls: int = 2,
        fail: Callable[[dict], bool] = lambda body: False,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.in_progress_polls, self.fail = in_progress_polls, fail
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.polls: Counter[str] = Counter()
        self.routes: Counter[str] = Counter()

    def upload(self, content_type: str, body: bytes) -> dict[str, Any]:
        fields = multipart_fields(content_type, body)
        filename, data = fields["file"]
        file_id = f"file-{len(self.files) + 1}"
        self.files[file_id] = data
        return {
            "id": file_id,
            "object": "file",
            "bytes": len(data),
            "created_at": 0,
            "filename": filename,
            "purpose": fields["purpose"][1].decode(),
            "status": "processed",
        }

    def create_batch(self, request: dict[str, Any]) -> dict[str, Any]:
        batch_id = f"batch-{len(self.batches) + 1}"
        lines = [
            json.loads(line)
            for line in self.files[request["input_file_id"]].decode().splitlines()
            if line
        ]
        self.batches[batch_id] = {
            "id": batch_id,
            "object": "batch",
            "endpoint": request["endpoint"],
            "input_file_id": request["input_file_id"],
            "completion_window": "24h",
            "created_at": 0,
            "status": "validating",
            "lines": lines,
            "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
        }
        return self.public(batch_id)

    def public(self, batch_id: str) -> dict[str, Any]:
        return {k: v for k, v in self.batches[batch_id].items() if k != "lines"}

    def poll(self, batch_id: str) -> dict[str, Any]:
        self.polls[batch_id] += 1
        batch = self.batches[batch_id]
        if self.polls[batch_id] <= self.in_progress_polls:
            done = len(batch["lines"]) * self.polls[batch_id] // (self.in_progress_polls + 1)
            batch.update(
                status="in_progress", request_counts={**batch["request_counts"], "completed": done}
            )
        elif batch["status"] != "completed":
            self.finish(batch)
        return self.public(batch_id)

    def finish(self, batch: dict[str, Any]) -> None:
        ok, failed = [], []
        for line in batch["lines"]:
            (failed if self.fail(line["body"]) else ok).append(self.answer(line))
        for name, lines in (("output_file_id", ok), ("error_file_id", failed)):
            if lines:
                file_id = f"file-{len(self.files) + 1}"
                self.files[file_id] = "".join(json.dumps(line) + "\n" for line in lines).encode()
                batch[name] = file_id
        batch.update(
            status="completed",
            request_counts={
                "total": len(batch["lines"]),
                "completed": len(ok),
                "failed": len(failed),
            },
        )

    def answer(self, line: dict[str, Any]) -> dict[str, Any]:
        body, chat = line["body"], line["url"].endswith("/chat/completions")
        prompt = body["messages"][-1]["content"] if chat else body["prompt"]
        if self.fail(body):
            error = {"error": {"message": "injected 429", "type": "rate_limit"}}
            return {
                "id": "r",
                "custom_id": line["custom_id"],
                "response": {"status_code": 429, "body": error},
                "error": None,
            }
        return {
            "id": "r",
            "custom_id": line["custom_id"],
            "error": None,
            "response": {"status_code": 200, "body": self.completion_body(body, prompt, chat)},
        }

    def _handler_class(self) -> type:
        server, base = self, super()._handler_class()

        class BatchHandler(base):
            def do_POST(self) -> None:
                path = urlsplit(self.path).path
                if path not in ("/v1/files", "/v1/batches"):
                    return super().do_POST()
                server.routes[f"POST {path}"] += 1
                raw = self.read_body()
                with server.lock:
                    answer = (
                        server.upload(self.headers["Content-Type"], raw)
                        if path == "/v1/files"
                        else server.create_batch(json.loads(raw))
                    )
                self.send_json(200, json.dumps(answer))

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                server.record("GET", self.path, self.headers, b"")
                if match := re.fullmatch(r"/v1/batches/([\w-]+)", path):
                    server.routes["GET /v1/batches/{id}"] += 1
                    with server.lock:
                        return self.send_json(200, json.dumps(server.poll(match[1])))
                if match := re.fullmatch(r"/v1/files/([\w-]+)/content", path):
                    server.routes["GET /v1/files/{id}/content"] += 1
                    return self.send_json(200, server.files[match[1]])
                self.send_json(404, json.dumps({"error": {"message": f"no route {path}"}}))

        return BatchHandler
