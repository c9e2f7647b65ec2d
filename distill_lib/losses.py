"""Token cross-entropy with per-task means, weighted: one forward pass over a batch holding several
tasks.

For Distilling step-by-step the reference runs two forward passes (label sub-batch, rationale
sub-batch) and returns alpha * CE_label + (1 - alpha) * CE_rationale, each CE the mean over its own
non-padding target tokens. `weighted_task_loss` computes exactly that from one pass over the
concatenated batch: it keeps the two per-task means and weights them, never averaging tokens across
tasks (tests/test_losses.py checks parity).

Deliberately left out: label smoothing, z-loss, anything the papers do not use.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

IGNORE = -100


def weighted_task_loss(
    logits: torch.Tensor,
    labels: torch.Tensor,
    tasks: torch.Tensor,
    weights: Sequence[float],
    counts: Sequence[int] | None = None,
) -> torch.Tensor:
    """sum_t weights[t] * (mean CE over the target tokens of task t); absent tasks add 0.

    `logits` (..., V) and `labels` (...) line up position by position: (B, T, V) and (B, T), or only
    the scored positions, (N, V) and (N,). `tasks` holds each label's task, or each row's ((B,)
    beside (B, T) labels). `counts`: each task's target tokens in the whole global batch when this
    is one micro-batch of it; the micro-batches' losses then sum to the global batch's loss, so the
    micro-batch size changes nothing but rounding.
    """
    if tasks.dim() < labels.dim():
        tasks = tasks.unsqueeze(-1).expand_as(labels)
    per_token = F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]).float(),
        labels.reshape(-1),
        # 0 where IGNORE; logits never copied by a mask
        ignore_index=IGNORE,
        reduction="none",
    )
    scored_tasks = torch.where(labels != IGNORE, tasks, -1).reshape(-1)
    total = per_token.new_zeros(())
    for task, weight in enumerate(weights):
        if weight:  # an absent task gives 0 / 1: no host sync on the token count
            in_task = scored_tasks == task
            tokens = in_task.sum().clamp(min=1) if counts is None else max(counts[task], 1)
            total = total + weight * (per_token * in_task).sum() / tokens
    return total


def next_token_labels(labels: torch.Tensor) -> torch.Tensor:
    """A causal LM's labels moved one place left (position t is scored on token t + 1), IGNORE at
    the end."""
    return F.pad(labels[:, 1:], (0, 1), value=IGNORE)
