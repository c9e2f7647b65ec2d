"""The Hugging Face Hub, only when needed: one fast reachability check per process, then clear
failures.

Local files are always read first (the loaders do that); the hub is tried only for what is missing.
Before the first hub call, `hub_unavailable()` says why the hub cannot be used: `HF_HUB_OFFLINE=1`
(or `HF_DATASETS_OFFLINE=1`), or no TCP connection to the hub's host within HUB_TIMEOUT_S (the host
of `HF_ENDPOINT`, default huggingface.co). The answer is cached for the process, so an unreachable
hub costs one short wait, not the libraries' retries on every attempt. `require_hub(what,
alternatives)` raises HubUnavailable naming what was wanted, why the hub cannot give it, and what to
do instead.

Deliberately left out: downloading anything (transformers / datasets do) and proxies beyond the
environment.
"""

from __future__ import annotations

import os
import socket
from functools import cache
from urllib.parse import urlparse

HUB_TIMEOUT_S = 3.0


class HubUnavailable(FileNotFoundError):
    """Something is needed from the hub, which cannot be reached; the message says what and the
    alternatives."""


@cache
def _probe(host: str, port: int) -> str | None:
    try:
        with socket.create_connection((host, port), timeout=HUB_TIMEOUT_S):
            return None
    except OSError as err:
        return f"{host}:{port} cannot be reached ({type(err).__name__}: {err})"


def hub_unavailable() -> str | None:
    """Why the hub cannot be used now (None when it can)."""
    for flag in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
        if os.environ.get(flag, "").lower() in ("1", "true", "yes"):
            return f"{flag}=1 is set"
    endpoint = urlparse(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    return _probe(
        endpoint.hostname or "huggingface.co",
        endpoint.port or (443 if endpoint.scheme == "https" else 80),
    )


def require_hub(what: str, alternatives: str) -> None:
    """Raise HubUnavailable naming `what` and the `alternatives` unless the hub can be used."""
    reason = hub_unavailable()
    if reason:
        raise HubUnavailable(f"{what} needs the Hugging Face Hub, and {reason}. {alternatives}")
