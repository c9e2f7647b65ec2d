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
one at high concurrency; without aiohttp the default is used. Requests are sent with the SDK's
`post` (its documented way to send a request body as given) to `/chat/completions` or
`/completions`, and the answer's JSON body read directly: the typed `create` methods walk every
argument through their type-driven transformation, and the typed answer builds a model per field,
together a large share of the client's CPU per request at high concurrency
(benchmarks/bench_teacher.py measures the client against the concurrency target); a body of plain
JSON needs neither, and `completion_from_response` checks the answer's shape itself.

Retries live in one layer, distill_lib.teacher.retry, applied here: the SDK is built with
`max_retries=0`. 429, 408, 409, 5xx,
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
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

import openai

from distill_lib.teacher.retry import MalformedResponse, RetryPolicy, with_retries

T = TypeVar("T")
REDIRECT_STATUS = (301, 302, 303, 307, 308)
AZURE_HOSTS = (".openai.azure.com", ".cognitiveservices.azure.com")
AZURE_API_VERSION = "2024-10-21"  # used when OPENAI_API_VERSION is not set


@dataclass
class Completion:
    texts: list[str]
    finish_reasons: list[str]
    usage: dict[str, int] = field(default_factory=dict)


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

    def _body(self, prompt: list[dict[str, str]] | str, n: int) -> dict[str, Any]:
        """The request's JSON body: the generation settings, the prompt, then `response_format`
        and `extra_body` (which may override any of them, as the SDK's `extra_body` does)."""
        body: dict[str, Any] = {
            "model": self.model,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "n": n,
            ("messages" if self.chat else "prompt"): prompt,
        }
        if self.stop:
            body["stop"] = self.stop
        if self.response_format is not None:
            body["response_format"] = self.response_format
        return {**body, **(self.extra_body or {})}

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
            response = await self.sdk.post(
                "/chat/completions" if self.chat else "/completions",
                body=self._body(prompt, n),
                cast_to=object,  # the parsed JSON body, read by completion_from_response
            )
        except (
            json.JSONDecodeError,
            UnicodeDecodeError,
            openai.APIResponseValidationError,
        ) as error:
            raise MalformedResponse(f"response is not a completion: {error}") from None
        return completion_from_response(response, self.chat)


def completion_from_response(response: Any, chat: bool) -> Completion:
    """Texts, finish reasons and usage of a response body (parsed JSON); MalformedResponse when it
    has no usable choice."""
    try:
        choices = list(response.get("choices") or [])
        texts = [choice["message"]["content"] if chat else choice["text"] for choice in choices]
        reasons = [str(choice.get("finish_reason")) for choice in choices]
    except (AttributeError, TypeError, KeyError):
        texts, reasons = [], []
    if not texts or any(not isinstance(t, str) for t in texts):
        raise MalformedResponse(f"response has no usable choices: {str(response)[:200]}")
    usage = response.get("usage")
    usage = usage if isinstance(usage, dict) else {}
    return Completion(
        texts=texts,
        finish_reasons=reasons,
        usage={name: usage.get(name) or 0 for name in ("prompt_tokens", "completion_tokens")},
    )
