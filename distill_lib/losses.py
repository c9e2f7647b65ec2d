"""Token cross-entropy with per-task means, weighted: one forward pass over a batch holding several tasks.

For Distilling step-by-step the reference runs two forward passes (label sub-batch, rationale sub-batch) and
returns alpha * CE_label + (1 - alpha) * CE_rationale, each CE the mean over its own non-padding target tokens.
`weighted_task_loss` computes exactly that from one pass over the concatenated batch: it keeps the two per-task
means and weights them, never averaging tokens across tasks (tests/test_losses.py checks parity).

Deliberately left out: label smoothing, z-loss, anything the papers do not use.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

IGNORE = -100


def token_losses(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Per-token CE (fp32), 0 where labels == IGNORE; shapes (B, T, V) and (B, T) -> (B, T)."""
    flat = F.cross_entropy(logits.flatten(0, 1).float(), labels.flatten(), ignore_index=IGNORE, reduction="none")
    return flat.view(labels.shape)


def weighted_task_loss(logits: torch.Tensor, labels: torch.Tensor, tasks: torch.Tensor,
                       weights: Sequence[float]) -> torch.Tensor:
    """sum_t weights[t] * (mean CE over the target tokens of rows whose task is t); absent tasks add 0."""
    per_token = token_losses(logits, labels)
    mask = labels != IGNORE
    total = logits.new_zeros((), dtype=torch.float32)
    for task, weight in enumerate(weights):
        task_mask = mask & (tasks == task).unsqueeze(1)
        count = task_mask.sum()
        if weight and count > 0:
            total = total + weight * (per_token * task_mask).sum() / count
    return total


def causal_shift(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Align a causal LM's logits with next-token labels."""
    return logits[:, :-1, :], labels[:, 1:]
