"""One async client for any OpenAI-compatible endpoint (OpenAI, vllm serve, transformers serve, llama.cpp).

`TeacherClient.complete(prompt, n)` sends one chat (messages) or completion (string) request and returns the
choices' texts with token usage. Retries live here and only here (the openai client runs with max_retries=0):
429, 5xx, timeouts, dropped connections and malformed responses are retried with exponential backoff and
jitter, honouring Retry-After / retry-after-ms; anything else (400, 401, 404, ...) fails at once. A request that
still fails raises RequestFailed with a readable reason; secrets are scrubbed from every reason.

Requests go through the SDK's low-level `post` with a plain JSON body, and the answer is read as raw bytes:
`chat.completions.create` re-validates and transforms every parameter and builds pydantic models on each call,
which was most of the client's CPU per request. The SDK still builds headers, sends, and raises its typed errors
(status, timeout, connection), so the retry rules above are unchanged. Its default connection pool (1000
connections, 100 kept alive) is wider than any concurrency the runner uses.

Deliberately left out: caching, concurrency limits and n>1 fan-out for servers that ignore n (generate.py).
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from dataclasses import dataclass, field
from typing import Any

import openai

RETRYABLE = (openai.APITimeoutError, openai.APIConnectionError, openai.APIResponseValidationError,
             json.JSONDecodeError)
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


def retry_after_s(error: Exception) -> float | None:
    """Seconds the server asked us to wait (retry-after-ms or a numeric Retry-After), else None."""
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", None) or {}
    for name, scale in (("retry-after-ms", 1e-3), ("retry-after", 1.0)):
        try:
            return float(headers[name]) * scale
        except (KeyError, TypeError, ValueError):
            continue
    return None


def is_retryable(error: Exception) -> bool:
    if isinstance(error, openai.APIStatusError):
        return error.status_code in (408, 409, 429) or error.status_code >= 500
    return isinstance(error, RETRYABLE) or isinstance(error, MalformedResponse)


class MalformedResponse(ValueError):
    """The server answered 200 with something that is not a usable completion."""


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
        self.api = openai.AsyncOpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=timeout_s)

    async def close(self) -> None:
        await self.api.close()

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
        # plain body in, raw bytes out: skips the SDK's per-call parameter transform and response models
        raw = await self.api.post("/chat/completions" if self.chat else "/completions", body=body, cast_to=bytes)
        try:
            data = json.loads(raw)
        except ValueError as error:  # broken JSON or bad UTF-8: retried like any malformed answer
            raise MalformedResponse(f"response is not JSON: {error}") from None
        return parse_completion(data, self.chat)


def parse_completion(data: Any, chat: bool) -> Completion:
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
