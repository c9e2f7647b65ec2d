"""Files that survive a kill: atomic writes (a temporary file in the same folder, fsynced, then
renamed over the target), JSON and JSON Lines readers that name the file on bad JSON, and the
helpers that deal with what a kill or a bad disk leaves behind: a corrupt file set aside under a
`.corrupt-<time>` name with a one-line warning, and leftover temporaries removed.

Every temporary is named `<target>.<pid>.tmp`, so two processes never share one and a cell's
leftovers are found by its target's name.

Deliberately left out: where files live (distill_lib.runs) and what they hold (their callers).
"""

from __future__ import annotations

import json
import os
import time
import warnings
from pathlib import Path
from typing import Any

from distill_lib.config_values import ConfigError


class CorruptFileWarning(UserWarning):
    """A file could not be read as JSON: it was set aside or skipped (the message names it)."""


def _fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (best effort: not every platform opens folders)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_text_atomic(path: Path, text: str) -> Path:
    """Write `text` to `path` atomically: readers see the old file or the whole new one, never a
    part, whenever a kill lands. Creates the folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)
    return path


def write_json(path: Path, payload: Any) -> Path:
    """Write JSON atomically (write_text_atomic), creating the folder."""
    return write_text_atomic(path, json.dumps(payload, indent=2, default=str) + "\n")


def remove_temporaries(*targets: Path) -> list[Path]:
    """Remove the temporaries a killed write of any of `targets` left (`<name>.tmp`,
    `<name>.<pid>.tmp`); returns what was removed. Only call it for files no live process writes."""
    removed = []
    for target in targets:
        target = Path(target)
        if not target.parent.is_dir():
            continue
        for tmp in target.parent.glob(f"{target.name}*.tmp"):
            if tmp.is_file():  # a folder (checkpoint.tmp) is its writer's to deal with
                tmp.unlink(missing_ok=True)
                removed.append(tmp)
    return removed


def read_json(path: str | Path) -> Any:
    """A whole JSON file; invalid JSON is a ConfigError (a ValueError: bad input, one line from the
    command line) naming the file, line and column."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ConfigError(
            f"{path}: not valid JSON at line {err.lineno}, column {err.colno} ({err.msg})"
        ) from None
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: not valid JSON (not UTF-8 text: {err.reason})") from None


def set_aside(path: Path, reason: str) -> Path:
    """Rename a corrupt file to `<name>.corrupt-<time>-<pid>` and warn in one line naming both."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}-{os.getpid()}")
    os.replace(path, aside)
    warnings.warn(f"{reason}; set aside as {aside.name}", CorruptFileWarning, stacklevel=3)
    return aside


def read_json_or_set_aside(path: Path, rename: bool = True) -> Any | None:
    """A JSON file's content; None when it is absent or corrupt. A corrupt one is named in a
    one-line warning and (with `rename`) set aside, so that whatever wrote it can write it again."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        return read_json(path)
    except FileNotFoundError:  # set aside meanwhile by another process
        return None
    except ValueError as err:
        if rename:
            try:
                set_aside(path, str(err))
            except FileNotFoundError:
                pass
        else:
            warnings.warn(f"{err}; skipped", CorruptFileWarning, stacklevel=2)
        return None


def read_jsonl(path: str | Path, required: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Rows of a JSON Lines file; a bad line, a row that is not an object or misses a `required`
    field, or a file without rows is a ConfigError (a ValueError) naming the file and line."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no file at {path}")
    rows = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise ConfigError(f"{path}, line {number}: not valid JSON ({err})") from None
        if not isinstance(row, dict):
            raise ConfigError(f"{path}, line {number}: expected a JSON object, got {line[:40]}")
        missing = set(required) - set(row)
        if missing:
            raise ConfigError(f"{path}, line {number}: missing field(s) {sorted(missing)}")
        rows.append(row)
    if not rows:
        raise ConfigError(f"{path}: no rows (the file is empty)")
    return rows


def read_predictions(
    path: str | Path, required: tuple[str, ...] = ("id", "format", "prediction", "label")
) -> list[dict[str, Any]]:
    """Rows of a cell's predictions.jsonl (a cell dir or the file); each must hold the `required`
    fields."""
    path = Path(path)
    path = path / "predictions.jsonl" if path.is_dir() else path
    if not path.exists():
        raise FileNotFoundError(f"no predictions file at {path}: run the training notebook first")
    return read_jsonl(path, required)
