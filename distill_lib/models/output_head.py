"""Logits only where they are scored: the output head applied to the target positions, not to every
position.

A training loss reads the logits of target tokens only: a causal row's prompt and every row's
padding are never scored, yet a plain forward pass projects them onto the whole vocabulary (for a
49k-id head that projection costs as much as several transformer layers, and its (B, T, V) logits
dominate activation memory). `logits_at(model, positions)` makes the model's own output head
(`get_output_embeddings()`) see only the hidden states at `positions` for the duration of a `with`
block, so `model(...).logits` comes back as (N, V) in the row-major order of the True positions,
with whatever the model does after its head (softcapping, bias) intact.

Deliberately left out: chunked or fused cross-entropy kernels, and generation (which needs every
last position).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch


@contextlib.contextmanager
def logits_at(model: Any, positions: torch.Tensor) -> Iterator[bool]:
    """Within the block the output head sees hidden states at `positions` (B, T bool) only; yields
    whether it could (False: the model has no separate output head, its logits stay (B, T, V))."""
    head = model.get_output_embeddings()
    if head is None:
        yield False
        return

    def select(_module: Any, args: tuple) -> tuple:
        hidden = args[0]
        if hidden.shape[:2] != positions.shape:
            raise ValueError(
                f"output head got hidden states {tuple(hidden.shape)}, positions are "
                f"{tuple(positions.shape)}: the model reshapes before its head"
            )
        return (hidden[positions], *args[1:])

    handle = head.register_forward_pre_hook(select)
    try:
        yield True
    finally:
        handle.remove()
