"""A claim file per cell, so that two grids on one run root share the work instead of doubling it.

A grid claims a cell before running it by creating `<cell dir>/claim.json` with O_EXCL (one
process wins) holding its pid, host, start time and a random token, and removes it when the cell
ends, whatever the outcome. Another grid that finds the claim skips the cell while its holder is
alive. A claim is stale, and taken over, when its holder's pid is dead on this host, or when it
cannot be read and is older than CLAIM_UNREADABLE_S (a holder killed between creating and filling
it). A claim made on another host is never judged stale here: the message names the file to delete
when that run is gone.

Deliberately left out: which cells a grid runs and what it does with a claimed one
(distill_lib.grid); runs under `accelerate launch`, whose processes run each cell together.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CLAIM = "claim.json"
CLAIM_UNREADABLE_S = 60.0


@dataclass(frozen=True)
class Claim:
    """A claim this process holds."""

    path: Path
    token: str


def _holder(path: Path) -> dict[str, Any] | None:
    """The claim file's content; None when it is absent; {} when it cannot be read."""
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (ValueError, OSError):
        return {}
    return content if isinstance(content, dict) else {}


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def is_stale(path: Path, holder: dict[str, Any]) -> bool:
    """Whether a claim can be taken over (module doc)."""
    if not holder:
        try:
            return time.time() - path.stat().st_mtime > CLAIM_UNREADABLE_S
        except FileNotFoundError:
            return True
    if holder.get("host") != socket.gethostname():
        return False
    return not _pid_alive(int(holder.get("pid", -1)))


def describe(holder: dict[str, Any] | None, path: Path) -> str:
    """Who holds a claim, in words (for another host: which file to delete if that run is gone)."""
    if holder is None:
        return "another process, which has just let it go"
    if not holder:
        return f"an unreadable claim ({path})"
    text = f"pid {holder.get('pid')} on {holder.get('host')} since {holder.get('started')}"
    if holder.get("host") != socket.gethostname():
        text += f"; delete {path} if that run is gone"
    return text


def _create(path: Path) -> Claim | None:
    token = secrets.token_hex(8)
    content = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "token": token,
    }
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return None
    with os.fdopen(fd, "w") as f:
        f.write(json.dumps(content))
        f.flush()
        os.fsync(f.fileno())
    return Claim(path, token)


def _take_over(path: Path, seen: dict[str, Any]) -> None:
    """Remove a stale claim, unless another process replaced it meanwhile (then it is put back)."""
    aside = path.with_name(f"{path.name}.stale-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return
    if _holder(aside) != seen:  # a fresh claim was taken between our read and the rename
        try:
            os.link(aside, path)
        except FileExistsError:
            pass
    aside.unlink(missing_ok=True)


def try_claim(folder: Path) -> Claim | None:
    """Claim the cell in `folder` (created if needed); None while a live process holds it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / CLAIM
    for _ in range(3):
        claim = _create(path)
        if claim is not None:
            return claim
        holder = _holder(path)
        if holder is not None and not is_stale(path, holder):
            return None
        if holder is not None:
            _take_over(path, holder)
    return None


def live_holder(folder: Path) -> dict[str, Any] | None:
    """Who holds the cell in `folder` now (None when nobody, or only a stale claim, does)."""
    path = folder / CLAIM
    holder = _holder(path)
    if holder is None or is_stale(path, holder):
        return None
    return holder


def release(claim: Claim) -> None:
    """Remove a claim this process holds (only if it is still ours)."""
    holder = _holder(claim.path)
    if holder is not None and holder.get("token") == claim.token:
        claim.path.unlink(missing_ok=True)
