"""Checkpoints that a kill cannot corrupt, and a corrupt one that never blocks a cell.

`save_checkpoint(acc, state, run_dir)`: the full training state (accelerate's `save_state`: weights,
optimizer, scheduler, RNG) plus `train_state.json` and a `manifest.json` of every file's size and
sha256 are written into `checkpoint.tmp/`, which then replaces `checkpoint/` by renames (the old one
is kept as `checkpoint.old/` until the new one is in place). `save_best(model, tokenizer, run_dir)`
writes `best/` the same way, with its own manifest.

`load_checkpoint(acc, run_dir)` resumes from `checkpoint/`, else from `checkpoint.old/` (a kill
between the two renames); a checkpoint whose files do not match its manifest (missing, another
size, or the same size with other bytes), or that fails to load, is moved aside as
`checkpoint.corrupt-<time>/` with a `CheckpointWarning` saying why, and `CheckpointSetAside` is
raised: the model may be half loaded by then, so the caller restarts the cell from fresh weights.
`verify_saved_model(folder)` checks `best/` the same way before it is reloaded; a corrupt one is set
aside together with the checkpoint (whose training state points at the lost best step).

`check_finite_loss(acc, loss, step)`, called by the loop after every optimizer step: a nan or inf
training loss on any process raises `NonFiniteLoss` naming the step and the loss, on every process,
before that step's weights can be checkpointed or saved as best.

sha256 because it is the standard digest (a file can be compared by hand with `sha256sum`) and
hashlib's uses the CPU's SHA extensions where there are some; hashing re-reads the files the save
just wrote.

Deliberately left out: keeping several checkpoints (one resumable state per cell is enough here),
and verifying the contents of checkpoints whose manifest predates the hashes (those are checked by
size only, and the resume says so).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import shutil
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import torch
from accelerate import Accelerator, PartialState

MANIFEST = "manifest.json"
_CHUNK = 1 << 20  # bytes read per hash update


class _TiedWeightsNote(logging.Filter):
    """Drops accelerate's note, at every save of a model with tied embeddings, that the shared
    output weights were left out: they are restored from the input embeddings on load, so the note
    carries no information."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Removed shared tensor" not in record.getMessage()


logging.getLogger("accelerate.utils.other").addFilter(_TiedWeightsNote())


class CheckpointSetAside(RuntimeError):
    """A checkpoint could not be used and was moved aside; the cell must restart from fresh
    weights.
    """


class CheckpointWarning(UserWarning):
    """A checkpoint (or `best/`) did not match its manifest or failed to load, and was moved
    aside."""


class NonFiniteLoss(RuntimeError):
    """The training loss became nan or inf: the run stops (no checkpoint, no result) instead of
    training on from broken weights."""

    def __init__(self, step: int, loss: float) -> None:
        super().__init__(step, loss)  # both in args, so the error pickles across processes
        self.step, self.loss = step, loss

    def __str__(self) -> str:
        return f"training loss {self.loss} at step {self.step} is not finite; the run stops"


@dataclass
class TrainState:
    step: int = 0
    best_step: int = -1
    best_score: float = float("-inf")
    history: list[dict[str, float]] = field(default_factory=list)  # validation subset scores
    losses: list[dict[str, float]] = field(default_factory=list)
    tokens: int = 0
    wall_s: float = 0.0


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _sizes(folder: Path) -> dict[str, int]:
    return {
        str(p.relative_to(folder)): p.stat().st_size
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


def _manifest(folder: Path) -> dict[str, dict[str, Any]]:
    """Per file of `folder` (the manifest itself aside): its size in bytes and its sha256."""
    return {
        name: {"bytes": size, "sha256": file_sha256(folder / name)}
        for name, size in _sizes(folder).items()
    }


def _write_manifest(folder: Path) -> None:
    (folder / MANIFEST).write_text(json.dumps(_manifest(folder)))


def _swap_in(tmp: Path, target: Path) -> None:
    """Replace `target` by `tmp` with renames; `target.old` bridges the moment between them."""
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    tmp.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def save_checkpoint(acc: Accelerator, state: TrainState, run_dir: Path) -> None:
    tmp = run_dir / "checkpoint.tmp"
    if acc.is_main_process:
        shutil.rmtree(tmp, ignore_errors=True)
    acc.wait_for_everyone()
    acc.save_state(str(tmp))
    acc.wait_for_everyone()
    if acc.is_main_process:
        (tmp / "train_state.json").write_text(json.dumps(asdict(state)))
        _write_manifest(tmp)
        _swap_in(tmp, run_dir / "checkpoint")
    acc.wait_for_everyone()


def save_best(model: Any, tokenizer: Any, run_dir: Path) -> None:
    """The best weights and tokenizer into `best/`, atomically (call on the main process only)."""
    tmp = run_dir / "best.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    _write_manifest(tmp)
    _swap_in(tmp, run_dir / "best")


def _mismatch(folder: Path, expected: dict[str, Any]) -> str | None:
    """Which files of `folder` differ from the manifest `expected`: names first, then sizes, then
    (entries that carry one) sha256; None when all match."""
    found = _sizes(folder)

    def size(entry: Any) -> int:
        return entry["bytes"] if isinstance(entry, dict) else int(entry)

    differing = sorted(
        name
        for name in set(expected) | set(found)
        if name not in expected or name not in found or size(expected[name]) != found[name]
    )
    if differing:
        return f"files differ from the manifest: {differing[:5]}"
    changed = sorted(
        name
        for name, entry in expected.items()
        if isinstance(entry, dict) and entry.get("sha256") != file_sha256(folder / name)
    )
    return f"file contents differ from the manifest's sha256: {changed[:5]}" if changed else None


def _problem(folder: Path, required: tuple[str, ...] = ("train_state.json",)) -> str | None:
    """Why `folder` does not match its manifest (or lacks it or a `required` file), or None."""
    missing = [name for name in (MANIFEST, *required) if not (folder / name).exists()]
    if missing:
        return f"no {' / '.join(missing)} (written before the folder was complete)"
    try:
        expected = json.loads((folder / MANIFEST).read_text())
        return _mismatch(folder, expected)
    except (ValueError, TypeError, KeyError, AttributeError) as err:
        return f"{MANIFEST} unreadable: {type(err).__name__}: {str(err)[:200]}"


def _hashed(folder: Path) -> bool:
    """Whether the manifest of `folder` (already found to match) records sha256 digests."""
    entries = json.loads((folder / MANIFEST).read_text()).values()
    return all(isinstance(e, dict) and "sha256" in e for e in entries)


def _move_aside(folder: Path, label: str) -> Path:
    stem = folder.name.split(".")[0]  # checkpoint.old -> checkpoint.corrupt-...
    aside = folder.with_name(f"{stem}.{label}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}")
    folder.rename(aside)
    return aside


def _set_aside(
    proc: Accelerator | PartialState, folder: Path, reason: str, stale: tuple[Path, ...] = ()
) -> NoReturn:
    """Move `folder` aside as corrupt (and the `stale` folders that depend on it), warn, and raise
    CheckpointSetAside on every process."""
    if proc.is_main_process:
        note = f"{folder} set aside as {_move_aside(folder, 'corrupt').name}: {reason}"
        for other in (f for f in stale if f.exists()):
            note += f"; {other.name} set aside as {_move_aside(other, 'stale').name}"
        warnings.warn(note, CheckpointWarning, stacklevel=3)
    proc.wait_for_everyone()
    raise CheckpointSetAside(f"{folder}: {reason}; the cell restarts from fresh weights")


def load_checkpoint(acc: Accelerator, run_dir: Path) -> TrainState:
    """The resumed training state (TrainState() when there is no checkpoint)."""
    folder = next(
        (f for f in (run_dir / "checkpoint", run_dir / "checkpoint.old") if f.exists()), None
    )
    if folder is None:
        return TrainState()
    reason = _problem(folder)
    if reason:
        _set_aside(acc, folder, reason)
    try:
        acc.load_state(str(folder))
        state = TrainState(**json.loads((folder / "train_state.json").read_text()))
    except Exception as err:  # any unreadable part: weights, optimizer, RNG, state
        _set_aside(acc, folder, f"{type(err).__name__}: {str(err)[:300]}")
    unhashed = "" if _hashed(folder) else " (manifest without sha256: sizes checked only)"
    acc.print(f"resuming from {folder} at step {state.step}{unhashed}")
    return state


def verify_saved_model(folder: Path) -> None:
    """Check a `save_best` folder against its manifest before it is reloaded (call it on every
    process). A mismatch moves it aside, with the run's `checkpoint/` (its training state names a
    best step whose weights are gone), and raises CheckpointSetAside. A folder without a manifest
    was written before manifests existed and is not checked."""
    if not (folder / MANIFEST).exists():
        return
    reason = _problem(folder, required=())
    if reason:
        stale = (folder.parent / "checkpoint", folder.parent / "checkpoint.old")
        _set_aside(PartialState(), folder, reason, stale)


def check_finite_loss(acc: Accelerator, loss: float, step: int) -> None:
    """Raise NonFiniteLoss on every process when any process's loss at `step` is nan or inf (one
    small gather per step: a process stopping alone would leave the others waiting)."""
    losses = acc.gather(torch.tensor([loss], dtype=torch.float64, device=acc.device)).tolist()
    bad = [value for value in losses if not math.isfinite(value)]
    if bad:
        raise NonFiniteLoss(step, bad[0])
