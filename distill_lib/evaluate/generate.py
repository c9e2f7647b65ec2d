"""Batched generation: prompts sorted by length, padded per batch, decoded back in the original order.

Seq2seq students pad on the right; causal students pad on the left and only the new tokens are decoded.
Greedy by default (`num_beams=1`); beam search with a length penalty for SciGen. bf16 autocast when asked
(the training precision, resolved by distill_lib.models.precision).

Deliberately left out: scoring (distill_lib.evaluate.scoring).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from tqdm.auto import tqdm

from distill_lib.methods import Row
from distill_lib.models.precision import autocast
from distill_lib.train.batching import encode_prompt


def _pad(batch: list[list[int]], pad_id: int, left: bool) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(ids) for ids in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for i, row in enumerate(batch):
        span = slice(width - len(row), width) if left else slice(0, len(row))
        ids[i, span] = torch.tensor(row)
        mask[i, span] = 1
    return ids, mask


@torch.no_grad()
def generate_texts(model: Any, tokenizer: Any, is_seq2seq: bool, prompts: Sequence[Row], batch_size: int = 64,
                   max_new_tokens: int = 64, num_beams: int = 1, length_penalty: float = 1.0,
                   max_input: int = 1024, no_repeat_ngram_size: int = 0, progress: bool = True,
                   precision: str = "fp32") -> list[str]:
    """Generated text for every prompt, in prompt order; `precision` 'bf16' generates under bf16 autocast."""
    encoded = [encode_prompt(p, tokenizer, is_seq2seq, max_input) for p in prompts]
    order = sorted(range(len(encoded)), key=lambda i: -len(encoded[i]))
    outputs: list[str] = [""] * len(encoded)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    bar = tqdm(total=len(order), desc="generate", disable=not progress, leave=False)
    for start in range(0, len(order), batch_size):
        index = order[start:start + batch_size]
        ids, mask = _pad([encoded[i] for i in index], tokenizer.pad_token_id, left=not is_seq2seq)
        extra = {"no_repeat_ngram_size": no_repeat_ngram_size} if no_repeat_ngram_size else {}
        with autocast(precision, device):
            generated = model.generate(input_ids=ids.to(device), attention_mask=mask.to(device), do_sample=False,
                                       max_new_tokens=max_new_tokens, num_beams=num_beams,
                                       length_penalty=length_penalty, pad_token_id=tokenizer.pad_token_id, **extra)
        if not is_seq2seq:
            generated = generated[:, ids.shape[1]:]
        for i, text in zip(index, tokenizer.batch_decode(generated, skip_special_tokens=True), strict=True):
            outputs[i] = text.strip()
        bar.update(len(index))
    bar.close()
    model.train(was_training)
    return outputs
