"""Greedy decoding that drops finished rows gives the tokens of `generate(do_sample=False)`."""

from __future__ import annotations

import warnings

import pytest
import torch

from distill_lib.evaluate.greedy import greedy_dropping_finished, plain_greedy
from distill_lib.models.tiny import tiny_causal, train_tokenizer

PROMPTS = [
    "A man plays a guitar on a stage.",
    "Two dogs run.",
    "What is 12 plus 30?",
    "The cat sleeps on the warm window sill in the afternoon sun.",
    "Question: where do you keep milk? Answer:",
    "She bought three apples and ate one.",
]


def _left_pad(rows: list[list[int]], pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(map(len, rows))
    ids = torch.tensor([[pad] * (width - len(r)) + r for r in rows])
    mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows])
    return ids, mask


def _until_eos(tokens: list[int], eos: set[int]) -> list[int]:
    for i, token in enumerate(tokens):
        if token in eos:
            return tokens[: i + 1]
    return tokens


def _reference(model, ids, mask, new: int, pad: int) -> list[list[int]]:
    out = model.generate(
        input_ids=ids, attention_mask=mask, do_sample=False, max_new_tokens=new, pad_token_id=pad
    )[:, ids.shape[1] :]
    eos = model.generation_config.eos_token_id
    eos = {eos} if isinstance(eos, int) else set(eos)
    return [_until_eos(row, eos) for row in out.tolist()]


def test_tiny_model_rows_that_stop_early_match_generate() -> None:
    tokenizer = train_tokenizer(PROMPTS * 20, vocab_size=200)
    model = tiny_causal(tokenizer).eval()
    torch.manual_seed(0)
    with torch.no_grad():  # larger random weights: varied tokens instead of one repeated
        for weight in model.parameters():
            weight.normal_(0, 0.5)
    pad = tokenizer.pad_token_id
    ids, mask = _left_pad([tokenizer(p)["input_ids"] for p in PROMPTS], pad)
    model.generation_config.eos_token_id = None  # a free run to max_new_tokens
    free = model.generate(
        input_ids=ids, attention_mask=mask, do_sample=False, max_new_tokens=12, pad_token_id=pad
    )[:, ids.shape[1] :].tolist()
    # end-of-sequence = tokens some rows choose early, so that rows finish at different steps
    model.generation_config.eos_token_id = next(
        t
        for t in sorted({t for row in free for t in row})
        if len({row.index(t) if t in row else -1 for row in free}) > 2
    )
    assert plain_greedy(model)
    expected = _reference(model, ids, mask, 12, pad)
    lengths = {len(row) for row in expected}
    assert len(lengths) > 1, "the case must have rows finishing at different steps"
    with torch.no_grad():
        assert greedy_dropping_finished(model, ids, mask, 12) == expected


def test_decoding_passes_the_cache_by_the_forwards_current_name() -> None:
    """transformers deprecates `past_key_values` for `cache`: no deprecation warning per step."""
    tokenizer = train_tokenizer(PROMPTS * 20, vocab_size=200)
    model = tiny_causal(tokenizer).eval()
    ids, mask = _left_pad([tokenizer(p)["input_ids"] for p in PROMPTS[:2]], tokenizer.pad_token_id)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        assert len(greedy_dropping_finished(model, ids, mask, 3)) == 2


def test_a_repetition_penalty_keeps_the_generate_path() -> None:
    tokenizer = train_tokenizer(PROMPTS * 20, vocab_size=200)
    model = tiny_causal(tokenizer)
    model.generation_config.repetition_penalty = 1.2
    assert not plain_greedy(model)


@pytest.mark.slow
def test_real_checkpoint_predictions_are_identical() -> None:
    """SmolLM2-135M-Instruct (the pip GGUF): the same new tokens, batch of six chat prompts."""
    from distill_lib.config_sections import StudentConfig
    from distill_lib.models.loading import load_student

    student = load_student(StudentConfig(name="pip:smollm2", kind="causal"))
    model, tokenizer = student.model.eval(), student.tokenizer
    assert plain_greedy(model)
    rows = [
        tokenizer.apply_chat_template(
            [{"role": "user", "content": p + " Reply in at most five words."}],
            add_generation_prompt=True,
        )
        for p in PROMPTS
    ]
    rows = [r if isinstance(r, list) else r["input_ids"] for r in rows]
    ids, mask = _left_pad(rows, tokenizer.pad_token_id)
    expected = _reference(model, ids, mask, 40, tokenizer.pad_token_id)
    assert len({len(row) for row in expected}) > 1
    with torch.no_grad():
        assert greedy_dropping_finished(model, ids, mask, 40) == expected
