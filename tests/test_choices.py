"""Choice ranking by log-likelihood: the same pick as scoring each choice by hand with a plain
forward pass over every position, on a causal and a seq2seq tiny model, batched or not."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from distill_lib.evaluate.choices import rank_choices
from distill_lib.methods import Row
from distill_lib.models.loading import Student
from distill_lib.models.tiny import tiny_causal, tiny_t5
from distill_lib.train.batching import encode_row

PROMPTS = [Row(f"premise {i} hypothesis {i * 3}", "", 0, "so" if i % 2 else "") for i in range(5)]
CHOICES = [
    ["entailment", "neutral", "contradiction"],
    ["the answer", "a premise", "so is"],
    ["12", "9 3", "explain predict the"],
    [],
    ["neutral"],
]


def _by_hand(student: Student, row: Row, choice: str) -> float:
    enc = encode_row(
        Row(row.source, choice, 0, row.source_b), student.tokenizer, student.is_seq2seq, 32, 16
    )
    ids = torch.tensor([enc["input_ids"]])
    labels = torch.tensor([enc["labels"]])
    if student.is_seq2seq:
        logits = student.model(input_ids=ids, labels=labels).logits[0]
        return -F.cross_entropy(logits, labels[0], reduction="sum").item()
    logits = student.model(input_ids=ids).logits[0, :-1]
    return -F.cross_entropy(logits, labels[0, 1:], ignore_index=-100, reduction="sum").item()


@pytest.mark.parametrize("build,is_seq2seq", [(tiny_t5, True), (tiny_causal, False)])
@pytest.mark.parametrize("batch_size", [1, 4])
def test_the_pick_is_the_most_likely_choice_scored_by_hand(
    tiny_tokenizer, build, is_seq2seq, batch_size
):
    student = Student(build(tiny_tokenizer), tiny_tokenizer, is_seq2seq, "tiny")
    student.model.eval()
    picks = rank_choices(student, PROMPTS, CHOICES, 32, 16, batch_size=batch_size)
    with torch.no_grad():
        expected = [
            max(range(len(c)), key=lambda j: _by_hand(student, p, c[j])) if c else -1
            for p, c in zip(PROMPTS, CHOICES, strict=True)
        ]
    assert picks == expected and picks[3] == -1 and picks[4] == 0


@pytest.mark.parametrize("build,is_seq2seq", [(tiny_t5, True), (tiny_causal, False)])
def test_a_shared_prefix_gives_the_sums_scored_by_hand(tiny_tokenizer, build, is_seq2seq):
    """Each prompt run once (left-padded beside longer prompts, its cache reused by choices of one
    to several tokens) scores every choice as a full forward pass does; seq2seq falls back."""
    from distill_lib.evaluate.choices import _prefix_scores

    student = Student(build(tiny_tokenizer), tiny_tokenizer, is_seq2seq, "tiny")
    student.model.eval()
    picks = rank_choices(student, PROMPTS, CHOICES, 32, 16, shared_prefix=True, batch_size=2)
    assert picks == rank_choices(student, PROMPTS, CHOICES, 32, 16)
    if is_seq2seq:
        return
    scores = _prefix_scores(student, PROMPTS, CHOICES, 32, 16, "fp32", batch_size=3)
    assert _prefix_scores(student, PROMPTS[3:4], [[]], 32, 16, "fp32") == [[]]  # nothing to rank
    with torch.no_grad():
        for prompt, options, got in zip(PROMPTS, CHOICES, scores, strict=True):
            expected = [_by_hand(student, prompt, c) for c in options]
            assert got == pytest.approx(expected, abs=1e-4)
