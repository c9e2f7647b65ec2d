"""Batched generation: prompts sorted by length, padded per batch, decoded back in the original
order.

Seq2seq students pad on the right; causal students pad on the left and only the new tokens are
decoded; greedy decoding of a causal student drops rows from the batch as they finish
(distill_lib.evaluate.greedy), the rest goes through `model.generate`.
Greedy by default (`num_beams=1`); beam search with a length penalty for SciGen. bf16
autocast when asked (the training precision, resolved by distill_lib.models.precision). glibc's
kept heap goes back after each batch (train.heap): the next batch has other shapes and would not
reuse it, so a pass's memory would otherwise grow batch by batch.

Deliberately left out: scoring (each paper's scoring module).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from distill_lib.config_sections import EvalConfig
from distill_lib.evaluate.greedy import greedy_dropping_finished, plain_greedy
from distill_lib.methods import Row
from distill_lib.models.loading import Student
from distill_lib.models.precision import autocast
from distill_lib.progress import progress as tqdm
from distill_lib.train.batching import encode_prompt
from distill_lib.train.heap import trim_heap


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
def generate_texts(
    student: Student,
    prompts: Sequence[Row],
    settings: EvalConfig,
    max_input: int = 1024,
    precision: str = "fp32",
    progress: bool = True,
) -> list[str]:
    """Generated text for every prompt, in prompt order, decoded as `settings` say (batch size, new
    tokens, beams, length penalty, no-repeat n-grams); `precision` 'bf16' generates under bf16
    autocast."""
    model, tokenizer = student.model, student.tokenizer
    encoded = [encode_prompt(p, tokenizer, student.is_seq2seq, max_input) for p in prompts]
    order = sorted(range(len(encoded)), key=lambda i: -len(encoded[i]))
    outputs: list[str] = [""] * len(encoded)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    extra = (
        {"no_repeat_ngram_size": settings.no_repeat_ngram_size}
        if settings.no_repeat_ngram_size
        else {}
    )
    bar = tqdm(total=len(order), desc="generate", disable=not progress, leave=False)
    for start in range(0, len(order), settings.batch_size):
        index = order[start : start + settings.batch_size]
        ids, mask = _pad(
            [encoded[i] for i in index], tokenizer.pad_token_id, left=not student.is_seq2seq
        )
        with autocast(precision, device):
            generated = _decode(student, ids.to(device), mask.to(device), settings, extra)
        for i, text in zip(
            index, tokenizer.batch_decode(generated, skip_special_tokens=True), strict=True
        ):
            outputs[i] = text.strip()
        del generated
        trim_heap()
        bar.update(len(index))
    bar.close()
    model.train(was_training)
    return outputs


def _decode(
    student: Student,
    ids: torch.Tensor,
    mask: torch.Tensor,
    settings: EvalConfig,
    extra: dict,
) -> torch.Tensor | list[list[int]]:
    """One batch's new tokens (causal) or output sequences (seq2seq)."""
    model = student.model
    greedy = settings.num_beams == 1 and not extra and not student.is_seq2seq
    if greedy and plain_greedy(model):
        return greedy_dropping_finished(model, ids, mask, settings.max_new_tokens)
    generated = model.generate(
        input_ids=ids,
        attention_mask=mask,
        do_sample=False,
        max_new_tokens=settings.max_new_tokens,
        num_beams=settings.num_beams,
        length_penalty=settings.length_penalty,
        pad_token_id=student.tokenizer.pad_token_id,
        **extra,
    )
    return generated if student.is_seq2seq else generated[:, ids.shape[1] :]
