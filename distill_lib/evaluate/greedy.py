"""Greedy decoding for causal students that stops paying for rows that have finished.

`model.generate` keeps decoding every row of a batch until its longest row stops; here a row that
has produced an end-of-sequence token leaves the batch (its key/value cache rows are dropped with
the cache's `batch_select_indices`), so each decode step costs only the rows still running. The
tokens chosen are the same argmax as `generate(do_sample=False)` with the same left padding and
position ids (a test compares the two on a real checkpoint).

`plain_greedy(model)` says when this path applies: a model whose generation config adds no logits
processor (repetition penalty, n-gram blocking, forced or suppressed tokens, a minimum length).

Deliberately left out: beam search and seq2seq students (they keep `model.generate`), sampling.
"""

from __future__ import annotations

import inspect
from typing import Any

import torch
from transformers import DynamicCache

_PROCESSOR_FIELDS = (
    "no_repeat_ngram_size",
    "bad_words_ids",
    "suppress_tokens",
    "begin_suppress_tokens",
    "forced_bos_token_id",
    "forced_eos_token_id",
    "sequence_bias",
)


def _eos_ids(model: Any) -> set[int]:
    eos = model.generation_config.eos_token_id
    return set() if eos is None else {eos} if isinstance(eos, int) else set(eos)


def plain_greedy(model: Any) -> bool:
    """True when the model's generation config would add no logits processor to greedy decoding."""
    config = model.generation_config
    if config.repetition_penalty not in (None, 1.0) or (config.min_length or 0) > 0:
        return False
    if (getattr(config, "min_new_tokens", None) or 0) > 0:
        return False
    return all(not getattr(config, field, None) for field in _PROCESSOR_FIELDS) and bool(
        _eos_ids(model)
    )


def cache_keyword(model: Any) -> str:
    """The forward's name for the key/value cache: `cache` in newer transformers 5 releases, which
    deprecate `past_key_values`, the name of earlier ones."""
    return "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"


def left_padded_positions(mask: torch.Tensor) -> torch.Tensor:
    """Position ids of left-padded rows, as `generate` builds them (pads at position 1)."""
    return (mask.cumsum(-1) - 1).masked_fill(mask == 0, 1)


@torch.no_grad()
def greedy_dropping_finished(
    model: Any, ids: torch.Tensor, mask: torch.Tensor, max_new_tokens: int
) -> list[list[int]]:
    """New tokens per row (the end-of-sequence token included when reached), rows in input order;
    `ids` are left-padded prompts and `mask` their attention mask."""
    eos = _eos_ids(model)
    cache = DynamicCache(config=model.config)
    running = torch.arange(ids.shape[0])
    outputs: list[list[int]] = [[] for _ in range(ids.shape[0])]
    step_ids, positions = ids, left_padded_positions(mask)
    cache_arg = {cache_keyword(model): cache}
    for _ in range(max_new_tokens):
        logits = model(
            input_ids=step_ids,
            attention_mask=mask,
            position_ids=positions,
            **cache_arg,
            use_cache=True,
            logits_to_keep=1,  # the prefill would otherwise project every prompt position
        ).logits[:, -1, :]
        chosen = logits.argmax(-1)
        keep = []
        for slot, (row, token) in enumerate(zip(running.tolist(), chosen.tolist(), strict=True)):
            outputs[row].append(token)
            if token not in eos:
                keep.append(slot)
        if not keep:
            break
        if len(keep) < len(running):
            index = torch.tensor(keep, device=mask.device)
            cache.batch_select_indices(index)
            running, chosen, mask = running[index.cpu()], chosen[index], mask[index]
            positions = positions[index]
        mask = torch.cat([mask, mask.new_ones((mask.shape[0], 1))], dim=1)
        positions = positions[:, -1:] + 1
        step_ids = chosen[:, None]
    return outputs
