"""Loss parity: the one-pass weighted per-task loss equals the reference's two-pass alpha-weighted
sum.

The reference side is always the model's own `labels=` loss (HF's mean CE, with its own causal
shift), never this project's code; the one-pass side computes logits only at target positions
(models.output_head).
"""

from __future__ import annotations

import pytest
import torch

from distill_lib.config_sections import MethodConfig
from distill_lib.losses import next_token_labels, weighted_task_loss
from distill_lib.models.output_head import logits_at
from distill_lib.models.tiny import tiny_causal, tiny_t5
from distill_lib.papers.index import build_method
from distill_lib.train.batching import collate, encode_row
from distill_lib.train.loop import forward_loss

RECORDS = [
    {
        "input": f"the premise {i} so is the answer",
        "input_b": "",
        "label": "entailment" if i % 2 else "neutral",
        "llm_label": "neutral",
        "rationale": "the a of answer " * (1 + i % 3),
    }
    for i in range(6)
]


def _batches(tokenizer, is_seq2seq: bool, alpha: float):
    method = build_method(MethodConfig(name="dss", alpha=alpha))
    rows = [
        encode_row(row, tokenizer, is_seq2seq, 64, 32) for r in RECORDS for row in method.rows(r)
    ]
    both = collate(rows, tokenizer.pad_token_id)
    label = collate([r for r in rows if r["task"] == 0], tokenizer.pad_token_id)
    rationale = collate([r for r in rows if r["task"] == 1], tokenizer.pad_token_id)
    return method, both, label, rationale


@pytest.mark.parametrize("build,is_seq2seq", [(tiny_t5, True), (tiny_causal, False)])
@pytest.mark.parametrize("alpha", [0.5, 0.2])
def test_one_pass_equals_two_pass_weighted_sum(tiny_tokenizer, build, is_seq2seq, alpha):
    model = build(tiny_tokenizer).eval()
    method, both, label, rationale = _batches(tiny_tokenizer, is_seq2seq, alpha)
    one_pass = forward_loss(model, both, is_seq2seq, method.weights, model)
    # the reference: HF's own mean CE per sub-batch, two forward passes, weighted sum
    ref_label, ref_rationale = (
        model(
            input_ids=sub["input_ids"], attention_mask=sub["attention_mask"], labels=sub["labels"]
        ).loss
        for sub in (label, rationale)
    )
    two_pass = alpha * ref_label + (1 - alpha) * ref_rationale
    torch.testing.assert_close(one_pass, two_pass, rtol=1e-5, atol=1e-6)
    grads_one = torch.autograd.grad(one_pass, list(model.parameters()), allow_unused=True)
    grads_two = torch.autograd.grad(two_pass, list(model.parameters()), allow_unused=True)
    for g1, g2 in zip(grads_one, grads_two, strict=True):
        if g1 is not None:
            torch.testing.assert_close(g1, g2, rtol=1e-4, atol=1e-6)


def test_per_task_means_are_not_token_averages():
    logits = torch.zeros(2, 4, 5)
    logits[0, :, 1] = 5.0  # row 0 (task 0) predicts its target well
    # 1 token of task 0, 4 tokens of task 1
    labels = torch.tensor([[1, -100, -100, -100], [2, 2, 2, 2]])
    tasks = torch.tensor([0, 1])
    loss = weighted_task_loss(logits, labels, tasks, [0.5, 0.5])
    ce0 = torch.nn.functional.cross_entropy(logits[0, :1], labels[0, :1])
    ce1 = torch.nn.functional.cross_entropy(logits[1], labels[1])
    torch.testing.assert_close(loss, 0.5 * ce0 + 0.5 * ce1)
    pooled = torch.nn.functional.cross_entropy(
        logits.flatten(0, 1), labels.flatten(), ignore_index=-100
    )
    assert not torch.isclose(loss, pooled)


def test_absent_task_contributes_nothing():
    logits = torch.randn(1, 3, 7)
    labels = torch.tensor([[1, 2, -100]])
    only = weighted_task_loss(logits, labels, torch.tensor([0]), [0.5, 0.5])
    torch.testing.assert_close(
        only, 0.5 * torch.nn.functional.cross_entropy(logits[0, :2], labels[0, :2])
    )


@pytest.mark.parametrize("build", [tiny_t5, tiny_causal])
def test_logits_at_scores_only_the_chosen_positions(tiny_tokenizer, build):
    model = build(tiny_tokenizer).eval()
    ids = torch.tensor([[5, 6, 7, 8], [9, 10, 11, 12]])
    extra = {"decoder_input_ids": ids} if model.config.is_encoder_decoder else {}
    positions = torch.tensor([[False, True, True, False], [True, False, False, False]])
    full = model(input_ids=ids, **extra).logits
    with logits_at(model, positions) as selected:
        some = model(input_ids=ids, **extra).logits
    assert selected and some.shape == (3, full.shape[-1])
    torch.testing.assert_close(some, full[positions])
    # the hook is gone after the block
    assert model(input_ids=ids, **extra).logits.shape == full.shape
    with (
        pytest.raises(ValueError, match="output head got hidden states"),
        logits_at(model, positions[:, :2]),
    ):
        model(input_ids=ids, **extra)


def test_next_token_labels_shift_left():
    labels = torch.tensor([[-100, -100, 4, 5]])
    assert next_token_labels(labels).tolist() == [[-100, 4, 5, -100]]
