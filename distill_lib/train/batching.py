"""Featurization of method rows and length-grouped batching.

`encode_row` tokenizes one Row for a seq2seq student (source -> input_ids, target -> labels) or a
causal one (prompt + target in one sequence, prompt tokens masked from the loss with -100).
`collate` pads dynamically (to the longest in the batch, never to the maximum length).
`batch_stream` yields record-index batches forever, seeded; with grouping, each window of 50 batches
is sorted by length so batches waste little padding, then the batch order is shuffled.

Deliberately left out: the loss and the loop.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch

from distill_lib.losses import IGNORE
from distill_lib.methods import Row

CAUSAL_SEPARATOR = "\n"


def source_text(row: Row, eos_token: str) -> str:
    """The student's input text; a text pair (NLI) is joined with the EOS string, as the DSS
    reference does."""
    return row.source + eos_token + row.source_b if row.source_b else row.source


def encode_prompt(row: Row, tokenizer: Any, is_seq2seq: bool, max_input: int) -> list[int]:
    text = source_text(row, tokenizer.eos_token)
    if is_seq2seq:
        return tokenizer(text, truncation=True, max_length=max_input)["input_ids"]
    ids = tokenizer(text + CAUSAL_SEPARATOR, add_special_tokens=False)["input_ids"]
    return ids[-max_input:]  # keep the end of a long prompt: the question sits there


def encode_row(
    row: Row, tokenizer: Any, is_seq2seq: bool, max_input: int, max_target: int
) -> dict[str, Any]:
    prompt = encode_prompt(row, tokenizer, is_seq2seq, max_input)
    if is_seq2seq:
        target = tokenizer(text_target=row.target, truncation=True, max_length=max_target)[
            "input_ids"
        ]
        return {"input_ids": prompt, "labels": target, "task": row.task}
    target = tokenizer(row.target, add_special_tokens=False)["input_ids"][: max_target - 1]
    target = target + [tokenizer.eos_token_id]
    return {
        "input_ids": prompt + target,
        "labels": [IGNORE] * len(prompt) + target,
        "task": row.task,
    }


def length_groups(
    rows: Sequence[dict[str, Any]], ratio: float = 0.5, max_positions: int = 0
) -> list[list[dict[str, Any]]]:
    """`rows` in groups padded separately: longest first, a new group where a row is shorter than
    `ratio` times its group's longest (a DSS label row beside its rationale row would otherwise
    carry the rationale's length in padding), or, with `max_positions`, where the group's padded
    input (its rows x its longest input) would pass it. Every row is in exactly one group."""

    def size(row: dict[str, Any]) -> int:
        return len(row["input_ids"]) + len(row["labels"])

    groups: list[list[dict[str, Any]]] = []
    for row in sorted(rows, key=size, reverse=True):
        longest = size(groups[-1][0]) if groups else 0
        width = max(len(r["input_ids"]) for r in [*groups[-1], row]) if groups else 0
        full = bool(groups) and 0 < max_positions < (len(groups[-1]) + 1) * width
        if not groups or size(row) < ratio * longest or full:
            groups.append([])
        groups[-1].append(row)
    return groups


def task_token_counts(rows: Sequence[dict[str, Any]], tasks: int, is_seq2seq: bool) -> list[int]:
    """Target tokens per task over `rows`, counted as the loss scores them (a causal LM's first
    position predicts nothing)."""
    counts = [0] * tasks
    for row in rows:
        labels = row["labels"] if is_seq2seq else row["labels"][1:]
        counts[row["task"]] += sum(1 for token in labels if token != IGNORE)
    return counts


def collate(features: Sequence[dict[str, Any]], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-pad a list of encoded rows into tensors (input_ids, attention_mask, labels, tasks)."""
    width_in = max(len(f["input_ids"]) for f in features)
    width_out = max(len(f["labels"]) for f in features)
    input_ids = torch.full((len(features), width_in), pad_id, dtype=torch.long)
    attention = torch.zeros((len(features), width_in), dtype=torch.long)
    labels = torch.full((len(features), width_out), IGNORE, dtype=torch.long)
    for i, f in enumerate(features):
        input_ids[i, : len(f["input_ids"])] = torch.tensor(f["input_ids"])
        attention[i, : len(f["input_ids"])] = 1
        labels[i, : len(f["labels"])] = torch.tensor(f["labels"])
    tasks = torch.tensor([f["task"] for f in features], dtype=torch.long)
    return {"input_ids": input_ids, "attention_mask": attention, "labels": labels, "tasks": tasks}


def batch_stream(
    lengths: Sequence[int],
    batch_size: int,
    seed: int,
    group_by_length: bool = True,
    window: int = 50,
    drop_last: bool = False,
) -> Iterator[list[int]]:
    """Endless seeded stream of index batches; epoch e uses RandomState(seed + e).

    `drop_last` drops the short batch at the end of each window, so every batch is full (the trainer
    needs that to shard a global batch over processes); other examples cover those in later epochs.
    """
    n = len(lengths)
    if n == 0 or (drop_last and n < batch_size):
        raise ValueError(
            f"{n} training records cannot fill one batch of {batch_size}: lower the batch size "
            "or use more data"
        )
    epoch = 0
    while True:
        rng = np.random.RandomState(seed + epoch)
        order = rng.permutation(n)
        batches = []
        span = batch_size * window if group_by_length else n
        for start in range(0, n, span):
            chunk = order[start : start + span]
            if group_by_length:
                chunk = sorted(chunk, key=lambda i: -lengths[i])
            stop = len(chunk) - len(chunk) % batch_size if drop_last else len(chunk)
            batches += [
                list(map(int, chunk[i : i + batch_size])) for i in range(0, stop, batch_size)
            ]
        if group_by_length:
            rng.shuffle(batches)
        yield from batches
        epoch += 1
