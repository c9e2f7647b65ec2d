"""The embedded default teacher: `transformers serve` on a local model dir, and endpoint resolution.

`EmbeddedServer(model_dir)` starts `transformers serve <dir> --host 127.0.0.1 --port <free port>
--device cpu` in its own process group, waits until a one-token chat request through the openai SDK
succeeds (/v1/models fails without a hub cache folder), yields the base URL, and always stops the
whole group, also on exceptions. The server only accepts requests whose `model` equals the path
given on its command line, so `Endpoint.model` is that path. `resolve_endpoint(cfg, profile)` picks
OpenAI, a configured OpenAI-compatible URL or the embedded SmolLM2 (see its docstring). An
Endpoint's repr leaves out its API key.

Deliberately left out: GPU settings, continuous batching and any model other than the one served.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import openai

from distill_lib.config_sections import TeacherConfig
from distill_lib.teacher.client import make_sdk_client, run_sync

PLACEHOLDER_KEY = "not-needed"  # local servers ignore the key, the openai client insists on one


@dataclass(frozen=True)
class Endpoint:
    base_url: str | None  # None: api.openai.com
    model: str
    api_key: str = field(repr=False)  # never printed (logs, tracebacks, notebooks)
    # the model's name in cache keys when `model` is machine-specific (a local path)
    cache_name: str = ""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def transformers_cli() -> str:
    beside_python = Path(sys.executable).parent / "transformers"
    found = str(beside_python) if beside_python.exists() else shutil.which("transformers")
    if not found:
        raise FileNotFoundError("`transformers` command not found; install transformers[serving]")
    return found


async def _probe(base_url: str, model: str, timeout_s: float) -> None:
    """One one-token chat request; raises what the SDK raises when the server cannot answer it
    yet.
    """
    sdk = make_sdk_client(base_url, PLACEHOLDER_KEY, timeout_s)
    try:
        await sdk.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "hi"}], max_tokens=1
        )
    finally:
        await sdk.close()


def answers(base_url: str, model: str, timeout_s: float = 30.0) -> bool:
    """Whether the server at `base_url` completes a one-token chat request for `model`."""
    try:
        run_sync(_probe(base_url, model, timeout_s))
    except (openai.OpenAIError, ValueError, OSError):
        return False
    return True


class EmbeddedServer:
    """Context manager: `with EmbeddedServer(dir) as base_url: ...` (base_url ends in /v1)."""

    def __init__(
        self,
        model_dir: str | Path,
        port: int | None = None,
        ready_timeout_s: float = 180.0,
        log_path: str | Path | None = None,
    ):
        self.model_dir = Path(model_dir)
        if not (self.model_dir / "config.json").exists():
            raise FileNotFoundError(f"{self.model_dir}: not a model dir (no config.json)")
        self.model = str(self.model_dir)  # must equal the path on the command line
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.ready_timeout_s = ready_timeout_s
        self.log_path = (
            Path(log_path)
            if log_path
            else Path(tempfile.mkstemp(prefix="serve-", suffix=".log")[1])
        )
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> str:
        command = [
            transformers_cli(),
            "serve",
            self.model,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--device",
            "cpu",
        ]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self.base_url

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def log_tail(self, chars: int = 2000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"transformers serve exited with code {self.process.returncode}; "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            if answers(self.base_url, self.model):
                return
            time.sleep(0.5)
        raise TimeoutError(
            f"transformers serve not ready after {self.ready_timeout_s:.0f}s on {self.base_url}; "
            f"log {self.log_path}:\n{self.log_tail()}"
        )

    def stop(self) -> None:
        """SIGTERM the process group, SIGKILL after 10 s; safe to call twice."""
        if self.process is None or self.process.poll() is not None:
            return
        for sig, wait_s in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.process.pid, sig)
                self.process.wait(timeout=wait_s)
                return
            except subprocess.TimeoutExpired:
                continue
            except ProcessLookupError:
                return


def embedded_model_dir() -> Path:
    from distill_lib.models.loading import pip_model_dir

    return pip_model_dir("smollm2")


@contextmanager
def resolve_endpoint(cfg: TeacherConfig, profile: str = "smoke") -> Iterator[Endpoint]:
    """Where the teacher lives for this run.

    - base_url "embedded", or base_url None with no API key in the environment outside the paper
      profile: start `transformers serve` on the pip-shipped SmolLM2 (converted once to safetensors)
      for the run;
    - base_url None with a key: OpenAI (the paper profile without a key is an error, never a silent
      fallback);
    - any other base_url: that OpenAI-compatible server, with the key when set.
    """
    key = os.environ.get(cfg.api_key_env, "")
    if cfg.base_url == "embedded" or (cfg.base_url is None and not key and profile != "paper"):
        server = EmbeddedServer(embedded_model_dir())
        with server as server_url:
            yield Endpoint(
                server_url, server.model, PLACEHOLDER_KEY, f"embedded:{Path(server.model).name}"
            )
    elif cfg.base_url is None and not key:
        raise RuntimeError(
            f"profile '{profile}' calls OpenAI but ${cfg.api_key_env} is not set; set it, or use "
            "teacher.base_url: embedded for the local SmolLM2 teacher"
        )
    else:
        yield Endpoint(cfg.base_url, cfg.model, key or PLACEHOLDER_KEY)
