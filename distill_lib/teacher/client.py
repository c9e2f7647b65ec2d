"""The teacher client: every request goes through the openai SDK (`AsyncOpenAI`, or
`AsyncAzureOpenAI`).

`TeacherClient.complete(prompt, n)` sends one chat (messages) or completion (string) request to any
OpenAI-compatible endpoint (OpenAI, Azure OpenAI, vllm serve, transformers serve, llama.cpp) and
returns the choices' texts with token usage. Using the SDK gives the organisation / project headers
from OPENAI_ORG_ID / OPENAI_PROJECT_ID (and OPENAI_CUSTOM_HEADERS), typed errors, the proxy named by
HTTP(S)_PROXY / NO_PROXY, and `extra_body` / `response_format` pass-through (TeacherConfig has no
field for them: they are arguments here and of `generate`). A base URL on an Azure OpenAI host
(`*.openai.azure.com`, `*.cognitiveservices.azure.com`) gets `AsyncAzureOpenAI`, with `model` as the
deployment and the API version from OPENAI_API_VERSION. The SDK sends through its aiohttp-backed
HTTP client (the `openai[aiohttp]` extra), which costs less CPU per request than its default httpx
one at high concurrency; without aiohttp the default is used. Requests use the typed
`chat.completions.create` / `completions.create`; their argument transformation is a large share of
the CPU per request (benchmarks/bench_teacher.py measures it against the concurrency target).

Retries live in one layer, this one: the SDK is built with `max_retries=0`. 429, 408, 409, 5xx,
timeouts, dropped connections and malformed answers are retried with exponential backoff and jitter
(RetryPolicy, so tests can shrink it), honouring Retry-After / retry-after-ms and x-should-retry;
anything else (400, 401, 404, ...) fails at once. A request that still fails raises RequestFailed
with a readable reason (status and the server's message); secrets are scrubbed from every reason.
`with_retries` gives the same policy to the Batch API calls (batch_api.py). Redirects are followed
only within the base URL's origin: an answer from elsewhere would be cached as the teacher's, so a
redirect to another origin fails the request (not retried).

Deliberately left out: caching, concurrency limits and n>1 fan-out for servers that ignore n
(runner.py); streaming; the SDK's own retries.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

import openai

T = TypeVar("T")
RETRYABLE_STATUS = (408, 409, 429)  # and every 5xx
REDIRECT_STATUS = (301, 302, 303, 307, 308)
KEY_PATTERN = re.compile(r"sk-[A-Za-z0-9_\-*]{6,}")
AZURE_HOSTS = (".openai.azure.com", ".cognitiveservices.azure.com")
AZURE_API_VERSION = "2024-10-21"  # used when OPENAI_API_VERSION is not set


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


class MalformedResponse(ValueError):
    """The server answered 200 with something that is not a usable completion."""


class CrossOriginRedirect(openai.OpenAIError):
    """The server redirected to another origin (an OpenAIError, so the SDK passes it on
    unchanged).
    """


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run, or asyncio.run in a worker thread when this thread already runs a loop
    (Jupyter)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return (
        parts.scheme,
        (parts.hostname or "").lower(),
        parts.port or {"http": 80, "https": 443}.get(parts.scheme),
    )


async def refuse_cross_origin_redirect(response: Any) -> None:
    """httpx response hook: a redirect whose target lies outside the request's origin ends the
    request."""
    location = response.headers.get("location")
    if response.status_code in REDIRECT_STATUS and location:
        target = urljoin(str(response.request.url), location)
        if origin(target) != origin(str(response.request.url)):
            raise CrossOriginRedirect(
                f"HTTP {response.status_code} redirect to another origin "
                f"({origin(target)[1]}) not followed"
            )


def is_azure(base_url: str | None) -> bool:
    return (urlsplit(base_url or "").hostname or "").lower().endswith(AZURE_HOSTS)


def transport_client(**options: Any) -> Any:
    """The SDK's aiohttp-backed HTTP client (less CPU per request), or its default httpx one without
    aiohttp."""
    try:
        return openai.DefaultAioHttpClient(**options)
    except RuntimeError:  # openai installed without its `aiohttp` extra
        return openai.DefaultAsyncHttpxClient(**options)


def make_sdk_client(
    base_url: str | None, api_key: str, timeout_s: float, api_version: str | None = None
) -> openai.AsyncOpenAI:
    """The SDK client for one endpoint: no SDK retries, same-origin redirects only, env proxies
    honoured."""
    http_client = transport_client(
        timeout=timeout_s, event_hooks={"response": [refuse_cross_origin_redirect]}
    )
    common: dict[str, Any] = {
        "api_key": api_key,
        "max_retries": 0,
        "timeout": timeout_s,
        "http_client": http_client,
    }
    if not is_azure(base_url):
        # None: OPENAI_BASE_URL, else OpenAI
        return openai.AsyncOpenAI(base_url=base_url or None, **common)
    version = api_version or os.environ.get("OPENAI_API_VERSION") or AZURE_API_VERSION
    parts = urlsplit(base_url)
    if parts.path.strip("/"):  # e.g. https://res.openai.azure.com/openai/deployments/<name>
        return openai.AsyncAzureOpenAI(base_url=base_url, api_version=version, **common)
    return openai.AsyncAzureOpenAI(azure_endpoint=base_url, api_version=version, **common)


def retry_after_s(error: Exception) -> float | None:
    """Seconds the server asked us to wait (retry-after-ms or a numeric Retry-After), else None."""
    headers = getattr(getattr(error, "response", None), "headers", None) or {}
    for name, scale in (("retry-after-ms", 1e-3), ("retry-after", 1.0)):
        try:
            return float(headers[name]) * scale
        except (KeyError, TypeError, ValueError):
            continue
    return None


def is_retryable(error: Exception) -> bool:
    if isinstance(error, openai.APIStatusError):
        asked = error.response.headers.get("x-should-retry")
        if asked in ("true", "false"):
            return asked == "true"
        return error.status_code in RETRYABLE_STATUS or error.status_code >= 500
    # timeouts are connection errors
    return isinstance(error, (openai.APIConnectionError, MalformedResponse))


def backoff_s(attempt: int, error: Exception, policy: RetryPolicy) -> float:
    asked = retry_after_s(error)
    if asked is not None:
        return min(max(asked, 0.0), policy.retry_after_cap_s)
    ceiling = min(policy.cap_s, policy.base_s * 2**attempt)
    # "equal jitter": spread retries, keep a minimum wait
    return random.uniform(ceiling / 2, ceiling)


def describe(error: Exception) -> str:
    """A readable one-line reason: the status and the server's message, or the connection
    problem.
    """
    if isinstance(error, openai.APIStatusError):
        message = re.sub(r"^Error code: \d+ - ", "", error.message)
        return f"{type(error).__name__}: HTTP {error.status_code}: {message}"
    cause = error.__cause__ or error.__context__
    detail = (
        f" ({type(cause).__name__}: {cause})"
        if isinstance(error, openai.APIConnectionError) and cause
        else ""
    )
    return f"{type(error).__name__}: {error}{detail}"


async def with_retries(
    send: Callable[[], Awaitable[T]], policy: RetryPolicy, secrets: tuple[str, ...] = ()
) -> T:
    """`await send()`, retried per the policy; raises RequestFailed (scrubbed reason, attempts
    made)."""
    for attempt in range(policy.max_retries + 1):
        try:
            return await send()
        except Exception as error:  # noqa: BLE001 - every error becomes a retry or a RequestFailed
            if not is_retryable(error) or attempt == policy.max_retries:
                raise RequestFailed(scrub(describe(error), secrets)[:500], attempt + 1) from None
            await asyncio.sleep(backoff_s(attempt, error, policy))
    raise AssertionError("unreachable")


class TeacherClient:
    """Sends requests to one endpoint with fixed generation parameters; counts the HTTP requests it
    makes."""

    def __init__(
        self,
        base_url: str | None,
        api_key: str,
        model: str,
        chat: bool = True,
        temperature: float = 0.0,
        max_tokens: int = 256,
        stop: list[str] | tuple[str, ...] = (),
        timeout_s: float = 60.0,
        retry: RetryPolicy | None = None,
        *,
        extra_body: dict[str, Any] | None = None,
        response_format: dict[str, Any] | None = None,
    ):
        self.model, self.chat, self.temperature, self.max_tokens = (
            model,
            chat,
            temperature,
            max_tokens,
        )
        # OpenAI accepts at most 4; parsers cut at all of them
        self.stop = list(dict.fromkeys(stop))[:4]
        self.retry = retry or RetryPolicy()
        self.secrets = (api_key,)
        self.requests_made = 0
        self.timeout_s = timeout_s
        self.extra_body, self.response_format = extra_body, response_format
        self.sdk = make_sdk_client(base_url, api_key, timeout_s)
        self.base_url = str(self.sdk.base_url).rstrip("/")

    async def close(self) -> None:
        await self.sdk.close()

    async def complete(self, prompt: list[dict[str, str]] | str, n: int = 1) -> Completion:
        """One request (asking for n choices), retried per the policy; raises RequestFailed."""
        return await with_retries(lambda: self._send_once(prompt, n), self.retry, self.secrets)

    def _arguments(self, n: int) -> dict[str, Any]:
        arguments: dict[str, Any] = {
            "model": self.model,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "n": n,
        }
        if self.stop:
            arguments["stop"] = self.stop
        extra = dict(self.extra_body or {})
        if self.response_format is not None:
            if self.chat:
                arguments["response_format"] = self.response_format
            # the SDK's completions.create has no such argument; compatible servers read it from the
            # body
            else:
                extra["response_format"] = self.response_format
        if extra:
            arguments["extra_body"] = extra
        return arguments

    async def _send_once(self, prompt: list[dict[str, str]] | str, n: int) -> Completion:
        if self.chat and not isinstance(prompt, list):
            raise TypeError(
                "chat mode needs a list of messages; render the template with chat=True"
            )
        if not self.chat and not isinstance(prompt, str):
            raise TypeError(
                "completion mode needs a prompt string; render the template with chat=False"
            )
        self.requests_made += 1
        try:
            if self.chat:
                response = await self.sdk.chat.completions.create(
                    messages=prompt, **self._arguments(n)
                )
            else:
                response = await self.sdk.completions.create(prompt=prompt, **self._arguments(n))
        except (
            json.JSONDecodeError,
            UnicodeDecodeError,
            openai.APIResponseValidationError,
        ) as error:
            raise MalformedResponse(f"response is not a completion: {error}") from None
        return completion_from_response(response, self.chat)


def completion_from_response(response: Any, chat: bool) -> Completion:
    """Texts, finish reasons and usage of an SDK response; MalformedResponse when it has no usable
    choice."""
    try:
        choices = list(response.choices or [])
        texts = [choice.message.content if chat else choice.text for choice in choices]
        reasons = [str(choice.finish_reason) for choice in choices]
    except (AttributeError, TypeError):
        texts, reasons = [], []
    if not texts or any(not isinstance(t, str) for t in texts):
        raise MalformedResponse(f"response has no usable choices: {str(response)[:200]}")
    usage = getattr(response, "usage", None)
    return Completion(
        texts=texts,
        finish_reasons=reasons,
        usage={
            "prompt_tokens": getattr(usage, "prompt_tokens", 0) or 0,
            "completion_tokens": getattr(usage, "completion_tokens", 0) or 0,
        },
    )
