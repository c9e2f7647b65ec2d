"""A persistent per-request response cache: one JSON file per entry, written atomically.

Why files and not sqlite: an entry is written to a temporary file in the same folder and moved into
place with `os.replace`, which is atomic on POSIX, so a process killed at any moment (kill -9
included) leaves either the old state or the complete new entry, never a half-written one.
Concurrent writers (several runs, threads) need no locks, and entries can be inspected, copied or
deleted with ordinary tools. Each file also stores its own key and a sha256 of its payload; a
truncated, corrupt or misplaced file is reported as a miss (and counted as corrupt), so it is
simply fetched again and overwritten. An entry that cannot be opened at all is counted apart, as
blocked: its shard folder's name is taken by a file, its path is a folder, or it may not be read.
It is fetched again too, but its write fails the same way and is reported as a failed cache write.
A cache root that is a file, or cannot be created, is a ConfigError naming it. No fsync: the
guarantee is against process death, not power loss.

The key is a sha256 of the canonical JSON of what decides the response: endpoint model, rendered
prompt, mode (chat / completion), generation parameters, template name and version, and the sample
index. Never the API key or the base URL (the same model behind a new port is the same request).

Deliberately left out: eviction, size limits and caching failures (a failed request is retried next
run).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from pathlib import Path
from typing import Any

from distill_lib.config_values import ConfigError

# with the pid, names this process's temporary files (O_EXCL guards the rest)
_TMP_NUMBERS = itertools.count()


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def request_key(spec: dict[str, Any]) -> str:
    """Stable cache key for one requested sample (see module docstring for what `spec` must
    hold).
    """
    return hashlib.sha256(canonical_json(spec).encode()).hexdigest()


def _checksum(payload: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


class ResponseCache:
    """Maps request keys to response payloads (dicts) under `root/<2 hex>/<key>.json`."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        if self.root.exists() and not self.root.is_dir():
            raise ConfigError(f"teacher cache folder {self.root} is a file, not a folder")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ConfigError(
                f"teacher cache folder {self.root} cannot be created: {err.strerror}"
            ) from None
        self.corrupt = 0  # entries read but invalid in this process (then refetched)
        self.blocked = 0  # entries that could not be opened at all (module docstring)
        self._made: set[Path] = set()  # shard folders known to exist (saves a mkdir per write)

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored payload, or None when absent or when the file fails any integrity check."""
        path = self.path(key)
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (NotADirectoryError, IsADirectoryError, PermissionError):
            self.blocked += 1
            return None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            self.corrupt += 1
            return None
        valid = (
            isinstance(stored, dict)
            and stored.get("key") == key
            and isinstance(stored.get("payload"), dict)
            and stored.get("sha256") == _checksum(stored["payload"])
        )
        if not valid:
            self.corrupt += 1
            return None
        return stored["payload"]

    def put(self, key: str, payload: dict[str, Any]) -> None:
        """Write atomically: temporary file in the target folder, then os.replace."""
        path = self.path(key)
        if path.parent not in self._made:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(path.parent)
        body = canonical_json(payload)  # serialized once: the checksum and the file share it
        digest = hashlib.sha256(body.encode()).hexdigest()
        text = f'{{"key":{json.dumps(key)},"payload":{body},"sha256":"{digest}"}}'.encode()
        tmp, fd = _create_temporary(path)
        try:
            try:
                # one unbuffered write: no file object, a fraction of mkstemp + fdopen's CPU
                os.write(fd, text)
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def __len__(self) -> int:
        return sum(1 for _ in self.root.glob("*/*.json"))


def _create_temporary(path: Path) -> tuple[Path, int]:
    """A new, exclusively created temporary file beside `path` (a name left by a dead process is
    skipped)."""
    while True:
        tmp = path.with_name(f".{path.stem[:8]}-{os.getpid()}-{next(_TMP_NUMBERS)}.tmp")
        try:
            return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            continue
