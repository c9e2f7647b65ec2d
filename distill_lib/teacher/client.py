"""One async client for any OpenAI-compatible endpoint (OpenAI, vllm serve, transformers serve, llama.cpp).

`TeacherClient.complete(prompt, n)` sends one chat (messages) or completion (string) request and returns the
choices' texts with token usage. Retries live here and only here: 429, 408, 409, 5xx, timeouts, dropped
connections and malformed responses are retried with exponential backoff and jitter, honouring Retry-After /
retry-after-ms; anything else (400, 401, 404, ...) fails at once. A request that still fails raises
RequestFailed with a readable reason (status and the server's message); secrets are scrubbed from every reason.

Requests are plain JSON POSTs on one aiohttp session (keep-alive, no connection cap: the runner's semaphore is
the only limit), and answers are read as raw bytes. The proxy named by HTTP_PROXY / HTTPS_PROXY / NO_PROXY is
looked up once per client, as aiohttp's `trust_env` would pick it, and passed with every request: `trust_env`
itself sends two lookups (proxy, ~/.netrc) per request through the thread pool. Why not the openai SDK: its
request building, httpx models and connection pool cost 2-2.5 ms of CPU per request, which on two cores capped
a 32-way run at ~60% of the ideal speedup (benchmarks/bench_teacher.py measures this path).

Deliberately left out: caching, concurrency limits and n>1 fan-out for servers that ignore n (generate.py);
streaming; organization/project headers.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url
from yarl import URL

OPENAI_BASE_URL = "https://api.openai.com/v1"
RETRYABLE_STATUS = (408, 409, 429)  # and every 5xx
KEY_PATTERN = re.compile(r"sk-[A-Za-z0-9_\-*]{6,}")


def scrub(text: str, secrets: tuple[str, ...] = ()) -> str:
    """`text` with every secret and anything shaped like an OpenAI key replaced by [redacted]."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return KEY_PATTERN.sub("[redacted]", text)


@dataclass
class RetryPolicy:
    max_retries: int = 5
    base_s: float = 0.5  # first backoff; doubles per attempt
    cap_s: float = 30.0  # longest backoff without Retry-After
    retry_after_cap_s: float = 120.0  # longest wait a server may ask for


@dataclass
class Completion:
    texts: list[str]
    finish_reasons: list[str]
    usage: dict[str, int] = field(default_factory=dict)


class RequestFailed(Exception):
    def __init__(self, reason: str, attempts: int):
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts


class StatusError(Exception):
    """The server answered with an HTTP error status."""

    def __init__(self, status: int, headers: dict[str, str], message: str):  # header names in lower case
        super().__init__(f"HTTP {status}: {message}")
        self.status, self.headers = status, headers


class MalformedResponse(ValueError):
    """The server answered 200 with something that is not a usable completion."""


class RequestTimeout(Exception):
    """No complete answer within the client's timeout."""


def env_proxy(url: str) -> tuple[URL | None, aiohttp.BasicAuth | None]:
    """The proxy (and its credentials) that HTTP(S)_PROXY / NO_PROXY name for `url`; (None, None) for none."""
    try:
        return get_env_proxy_for_url(URL(url))
    except LookupError:  # no proxy for this scheme, or NO_PROXY covers the host
        return None, None


def retry_after_s(error: Exception) -> float | None:
    """Seconds the server asked us to wait (retry-after-ms or a numeric Retry-After), else None."""
    headers = getattr(error, "headers", None) or {}
    for name, scale in (("retry-after-ms", 1e-3), ("retry-after", 1.0)):
        try:
            return float(headers[name]) * scale
        except (KeyError, TypeError, ValueError):
            continue
    return None


def is_retryable(error: Exception) -> bool:
    if isinstance(error, StatusError):
        return error.status in RETRYABLE_STATUS or error.status >= 500
    return isinstance(error, (RequestTimeout, MalformedResponse, aiohttp.ClientConnectionError,
                              aiohttp.ClientPayloadError))


def backoff_s(attempt: int, error: Exception, policy: RetryPolicy) -> float:
    asked = retry_after_s(error)
    if asked is not None:
        return min(max(asked, 0.0), policy.retry_after_cap_s)
    ceiling = min(policy.cap_s, policy.base_s * 2 ** attempt)
    return random.uniform(ceiling / 2, ceiling)  # "equal jitter": spread retries, keep a minimum wait


class TeacherClient:
    """Sends requests to one endpoint with fixed generation parameters; counts the HTTP requests it makes."""

    def __init__(self, base_url: str | None, api_key: str, model: str, chat: bool = True, temperature: float = 0.0,
                 max_tokens: int = 256, stop: list[str] | tuple[str, ...] = (), timeout_s: float = 60.0,
                 retry: RetryPolicy | None = None):
        self.model, self.chat, self.temperature, self.max_tokens = model, chat, temperature, max_tokens
        self.stop = list(dict.fromkeys(stop))[:4]  # OpenAI accepts at most 4; parsers cut at all of them
        self.retry = retry or RetryPolicy()
        self.secrets = (api_key,)
        self.requests_made = 0
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or OPENAI_BASE_URL).rstrip("/")
        self.headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        self.timeout_s = timeout_s
        self.proxy, self.proxy_auth = env_proxy(self.base_url)
        self._session: aiohttp.ClientSession | None = None  # made on first use, inside the running loop

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                headers=self.headers, connector=aiohttp.TCPConnector(limit=0),
                timeout=aiohttp.ClientTimeout(total=self.timeout_s))
        return self._session

    async def complete(self, prompt: list[dict[str, str]] | str, n: int = 1) -> Completion:
        """One request (asking for n choices), retried per the policy; raises RequestFailed."""
        for attempt in range(self.retry.max_retries + 1):
            try:
                return await self._send_once(prompt, n)
            except Exception as error:  # noqa: BLE001 - every error becomes a retry or a RequestFailed
                reason = scrub(f"{type(error).__name__}: {error}", self.secrets)[:500]
                if not is_retryable(error) or attempt == self.retry.max_retries:
                    raise RequestFailed(reason, attempt + 1) from None
                await asyncio.sleep(backoff_s(attempt, error, self.retry))
        raise AssertionError("unreachable")

    async def _send_once(self, prompt: list[dict[str, str]] | str, n: int) -> Completion:
        body: dict[str, Any] = {"model": self.model, "temperature": self.temperature,
                                "max_tokens": self.max_tokens, "n": n}
        if self.stop:
            body["stop"] = self.stop
        if self.chat and not isinstance(prompt, list):
            raise TypeError("chat mode needs a list of messages; render the template with chat=True")
        if not self.chat and not isinstance(prompt, str):
            raise TypeError("completion mode needs a prompt string; render the template with chat=False")
        body["messages" if self.chat else "prompt"] = prompt
        self.requests_made += 1
        raw = await self._post("/chat/completions" if self.chat else "/completions", body)
        try:
            data = json.loads(raw)
        except ValueError as error:  # broken JSON or bad UTF-8: retried like any malformed answer
            raise MalformedResponse(f"response is not JSON: {error}") from None
        return completion_from_response(data, self.chat)

    async def _post(self, path: str, body: dict[str, Any]) -> bytes:
        """The response body of one POST; StatusError on an HTTP error, RequestTimeout past the timeout."""
        try:
            async with self.session().post(self.base_url + path, data=json.dumps(body), proxy=self.proxy,
                                           proxy_auth=self.proxy_auth) as response:
                raw = await response.read()
                if response.status >= 400:
                    message = raw[:300].decode("utf-8", "replace")
                    headers = {name.lower(): value for name, value in response.headers.items()}
                    raise StatusError(response.status, headers, f"{response.reason}: {message}")
                return raw
        except asyncio.TimeoutError:
            raise RequestTimeout(f"no complete answer from {self.base_url} within {self.timeout_s:g} s") from None


def completion_from_response(data: Any, chat: bool) -> Completion:
    """Texts, finish reasons and usage of a decoded response; MalformedResponse when it has no usable choice."""
    try:
        choices = data["choices"]
        texts = [choice["message"]["content"] if chat else choice["text"] for choice in choices]
        reasons = [str(choice.get("finish_reason")) for choice in choices]
    except (KeyError, TypeError, AttributeError):
        texts, reasons = [], []
    if not texts or any(not isinstance(t, str) for t in texts):
        raise MalformedResponse(f"response has no usable choices: {str(data)[:200]}")
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    return Completion(texts=texts, finish_reasons=reasons,
                      usage={"prompt_tokens": usage.get("prompt_tokens") or 0,
                             "completion_tokens": usage.get("completion_tokens") or 0})
