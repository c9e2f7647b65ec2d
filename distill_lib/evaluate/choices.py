"""Multiple-choice answers ranked by the student's log-likelihood, the lm-evaluation-harness
convention, as a second metric beside generated-answer accuracy.

For each prompt and each of its choices, the choice is encoded as the training target would be
(`train.batching.encode_row`: the choice's tokens and the end-of-sequence token after the prompt)
and scored by the sum of its tokens' log-probabilities; the prediction is the choice with the
highest sum (`acc` in the harness; ties go to the first choice). Only the target positions reach
the output head (models.output_head.logits_at), so the 49k-id projection is paid per choice
token, not per prompt token.

Deliberately left out: length-normalized variants (`acc_norm`), and any use of the ranking in
training or checkpoint selection.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from distill_lib.methods import Row
from distill_lib.models.loading import Student
from distill_lib.models.precision import autocast
from distill_lib.train.batching import collate, encode_row
from distill_lib.train.loop import target_logits

CHOICE_KEY = "choice_loglik"  # where a cell's scores keep it: the second, labelled metric


def _row_logliks(student: Student, rows: list[dict], device: torch.device) -> list[float]:
    """Sum of the target tokens' log-probabilities, per encoded row."""
    batch = {k: v.to(device) for k, v in collate(rows, student.tokenizer.pad_token_id).items()}
    model = student.model
    logits, labels, scored = target_logits(model, batch, student.is_seq2seq, model)
    token_logp = -F.cross_entropy(logits.float(), labels[scored], reduction="none")
    owner = scored.nonzero()[:, 0]
    sums = torch.zeros(len(rows), device=token_logp.device).index_add_(0, owner, token_logp)
    return sums.tolist()


@torch.no_grad()
def rank_choices(
    student: Student,
    prompts: Sequence[Row],
    choices: Sequence[Sequence[str]],
    max_input: int,
    max_target: int,
    precision: str = "fp32",
    batch_size: int = 32,
) -> list[int]:
    """Per prompt, the index of its most likely choice (-1 for a prompt without choices)."""
    tok, s2s = student.tokenizer, student.is_seq2seq
    pairs = [(i, j) for i, options in enumerate(choices) for j in range(len(options))]
    encoded = [
        encode_row(
            Row(prompts[i].source, choices[i][j], 0, prompts[i].source_b),
            tok,
            s2s,
            max_input,
            max_target,
        )
        for i, j in pairs
    ]
    order = sorted(range(len(pairs)), key=lambda k: -len(encoded[k]["input_ids"]))
    scores = [0.0] * len(pairs)
    device = next(student.model.parameters()).device
    was_training = student.model.training
    student.model.eval()
    for start in range(0, len(order), batch_size):
        index = order[start : start + batch_size]
        with autocast(precision, device):
            values = _row_logliks(student, [encoded[k] for k in index], device)
        for k, value in zip(index, values, strict=True):
            scores[k] = value
    student.model.train(was_training)
    best: list[tuple[float, int]] = [(float("-inf"), -1)] * len(choices)
    for (i, j), value in zip(pairs, scores, strict=True):
        if value > best[i][0]:
            best[i] = (value, j)
    return [j for _, j in best]
