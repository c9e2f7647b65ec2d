"""Retrying teacher requests: which errors are worth another try (429, 408, 409, 5xx, connection
errors, malformed answers; a server's x-should-retry wins), how long to wait (the server's
Retry-After within a cap, else capped exponential backoff with equal jitter), and the one-line,
key-scrubbed reason a request finally failed with.

Deliberately left out: sending requests (distill_lib.teacher.client) and what a failure costs
(distill_lib.teacher.generate reports it per record).
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import openai

T = TypeVar("T")


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


class RequestFailed(Exception):
    def __init__(self, reason: str, attempts: int):
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts


class MalformedResponse(ValueError):
    """The server answered 200 with something that is not a usable completion."""


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
