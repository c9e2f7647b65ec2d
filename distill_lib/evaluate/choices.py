"""Multiple-choice answers ranked by the student's log-likelihood, the lm-evaluation-harness
convention, as a second metric beside generated-answer accuracy.

For each prompt and each of its choices, the choice is encoded as the training target would be
(`train.batching.encode_row`: the choice's tokens and the end-of-sequence token after the prompt)
and scored by the sum of its tokens' log-probabilities; the prediction is the choice with the
highest sum (`acc` in the harness; ties go to the first choice). Only the target positions reach
the output head (models.output_head.logits_at), so the 49k-id projection is paid per choice
token, not per prompt token.

With `shared_prefix` (a causal student), each prompt is run once and its cached keys and values
serve all its choices: the same sums up to floating-point rounding (another kernel path for the
choices' attention), in about the time of one pass over the prompts instead of one per choice.

Deliberately left out: length-normalized variants (`acc_norm`), a shared prefix for seq2seq
students (they fall back to one pass per choice), and any use of the ranking in training or
checkpoint selection.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from transformers import DynamicCache

from distill_lib.evaluate.greedy import cache_keyword, left_padded_positions
from distill_lib.losses import IGNORE
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
    shared_prefix: bool = False,
) -> list[int]:
    """Per prompt, the index of its most likely choice (-1 for a prompt without choices)."""
    tok, s2s = student.tokenizer, student.is_seq2seq
    if shared_prefix and not s2s:
        return _best_choices(
            _prefix_scores(student, prompts, choices, max_input, max_target, precision), choices
        )
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
    by_prompt: list[list[float]] = [[] for _ in choices]
    for (i, _), value in zip(pairs, scores, strict=True):
        by_prompt[i].append(value)
    return _best_choices(by_prompt, choices)


def _best_choices(scores: list[list[float]], choices: Sequence[Sequence[str]]) -> list[int]:
    """The index of each prompt's highest score (ties: the first choice; -1 without choices)."""
    best = []
    for values, options in zip(scores, choices, strict=True):
        best.append(max(range(len(options)), key=values.__getitem__) if options else -1)
    return best


def _prefix_scores(
    student: Student,
    prompts: Sequence[Row],
    choices: Sequence[Sequence[str]],
    max_input: int,
    max_target: int,
    precision: str,
    batch_size: int = 16,
) -> list[list[float]]:
    """Per prompt, each choice's summed log-probability, the prompt run once (see the module)."""
    tok = student.tokenizer
    encoded = [
        [
            encode_row(Row(p.source, c, 0, p.source_b), tok, False, max_input, max_target)
            for c in options
        ]
        for p, options in zip(prompts, choices, strict=True)
    ]
    order = sorted(
        range(len(prompts)), key=lambda i: -len(encoded[i][0]["input_ids"]) if encoded[i] else 0
    )
    scores: list[list[float]] = [[] for _ in prompts]
    device = next(student.model.parameters()).device
    was_training = student.model.training
    student.model.eval()
    for start in range(0, len(order), batch_size):
        index = [i for i in order[start : start + batch_size] if encoded[i]]
        if not index:
            continue
        with autocast(precision, device):
            values = _prefix_batch(student.model, [encoded[i] for i in index], tok, device)
        for i, value in zip(index, values, strict=True):
            scores[i] = value
    student.model.train(was_training)
    return scores


def _split(row: dict) -> tuple[list[int], list[int]]:
    """(prompt ids, target ids) of an encoded causal row."""
    start = sum(1 for label in row["labels"] if label == IGNORE)
    return row["input_ids"][:start], row["input_ids"][start:]


def _prefix_batch(model, groups: list[list[dict]], tok, device: torch.device) -> list[list[float]]:
    """The choices' summed log-probabilities for a batch of prompts, each prompt's own keys and
    values (left-padded, positions counted from its first real token) reused by its choices."""
    split = [[_split(row) for row in rows] for rows in groups]
    heads = [pairs[0][0] for pairs in split]
    width, pad = max(map(len, heads)), tok.pad_token_id or 0
    ids = torch.tensor([[pad] * (width - len(h)) + h for h in heads], device=device)
    mask = torch.tensor([[0] * (width - len(h)) + [1] * len(h) for h in heads], device=device)
    cache = DynamicCache(config=model.config)
    keyword = cache_keyword(model)
    out = model(
        input_ids=ids,
        attention_mask=mask,
        position_ids=left_padded_positions(mask),
        use_cache=True,
        logits_to_keep=1,
        **{keyword: cache},
    )
    first = F.log_softmax(out.logits[:, -1].float(), -1)
    owner = [i for i, pairs in enumerate(split) for _ in pairs]
    targets = [target for pairs in split for _, target in pairs]
    sums = [first[i, t[0]].item() for i, t in zip(owner, targets, strict=True)]
    if max(map(len, targets)) > 1:
        cache.batch_select_indices(torch.tensor(owner, device=device))
        rest = _continuation_logliks(model, {keyword: cache}, mask[owner], targets, pad)
        sums = [a + b for a, b in zip(sums, rest, strict=True)]
    values: list[list[float]] = [[] for _ in groups]
    for i, value in zip(owner, sums, strict=True):
        values[i].append(value)
    return values


def _continuation_logliks(
    model, cache: dict, mask: torch.Tensor, targets: list[list[int]], pad: int
) -> list[float]:
    """Summed log-probabilities of each target's tokens after its first, fed after the cached
    prompt of the same row (`mask`: the prompts' attention mask, one row per target)."""
    width = max(map(len, targets)) - 1
    ids = torch.tensor([t[:-1] + [pad] * (width + 1 - len(t)) for t in targets], device=mask.device)
    own = torch.tensor(
        [[1] * (len(t) - 1) + [0] * (width + 1 - len(t)) for t in targets], device=mask.device
    )
    positions = mask.sum(-1)[:, None] + torch.arange(width, device=mask.device)[None, :]
    logits = model(
        input_ids=ids, attention_mask=torch.cat([mask, own], -1), position_ids=positions, **cache
    ).logits
    logp = F.log_softmax(logits.float(), -1)
    return [
        logp[k, torch.arange(len(t) - 1), torch.tensor(t[1:])].sum().item() if len(t) > 1 else 0.0
        for k, t in enumerate(targets)
    ]
