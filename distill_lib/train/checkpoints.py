"""Checkpoints that a kill cannot corrupt, and a corrupt one that never blocks a cell.

`save_checkpoint(acc, state, run_dir)`: the full training state (accelerate's `save_state`: weights,
optimizer, scheduler, RNG) plus `train_state.json` and a `manifest.json` of every file's size are
written into `checkpoint.tmp/`, which then replaces `checkpoint/` by renames (the old one is kept as
`checkpoint.old/` until the new one is in place). `save_best(model, tokenizer, run_dir)` writes
`best/` the same way.

`load_checkpoint(acc, run_dir)` resumes from `checkpoint/`, else from `checkpoint.old/` (a kill
between the two renames); a checkpoint whose files do not match its manifest, or that fails to load,
is moved aside as `checkpoint.corrupt-<time>/` with the reason said, and `CheckpointSetAside` is
raised: the model may be half loaded by then, so the caller restarts the cell from fresh weights.

Deliberately left out: keeping several checkpoints (one resumable state per cell is enough here).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from accelerate import Accelerator


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


@dataclass
class TrainState:
    step: int = 0
    best_step: int = -1
    best_score: float = float("-inf")
    history: list[dict[str, float]] = field(default_factory=list)  # validation subset scores
    losses: list[dict[str, float]] = field(default_factory=list)
    tokens: int = 0
    wall_s: float = 0.0


def _manifest(folder: Path) -> dict[str, int]:
    return {
        str(p.relative_to(folder)): p.stat().st_size
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }


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
        (tmp / "manifest.json").write_text(json.dumps(_manifest(tmp)))
        _swap_in(tmp, run_dir / "checkpoint")
    acc.wait_for_everyone()


def save_best(model: Any, tokenizer: Any, run_dir: Path) -> None:
    """The best weights and tokenizer into `best/`, atomically (call on the main process only)."""
    tmp = run_dir / "best.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    _swap_in(tmp, run_dir / "best")


def _problem(folder: Path) -> str | None:
    """Why `folder` is not a complete checkpoint, or None."""
    manifest_file = folder / "manifest.json"
    if not manifest_file.exists() or not (folder / "train_state.json").exists():
        return "no manifest.json / train_state.json (written before the checkpoint was complete)"
    expected, found = json.loads(manifest_file.read_text()), _manifest(folder)
    differing = sorted(
        name for name in set(expected) | set(found) if expected.get(name) != found.get(name)
    )
    return f"files differ from the manifest: {differing[:5]}" if differing else None


def _set_aside(acc: Accelerator, folder: Path, reason: str) -> None:
    if acc.is_main_process:
        aside = folder.with_name(
            f"checkpoint.corrupt-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
        )
        folder.rename(aside)
        acc.print(f"checkpoint {folder} set aside as {aside.name}: {reason}")
    acc.wait_for_everyone()
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
    acc.print(f"resuming from {folder} at step {state.step}")
    return state
