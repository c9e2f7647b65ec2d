"""An estimate of a SciGen grid's cost from token counts: what each cell trains on and generates,
and what the teacher reads and writes, turned into hours with assumed throughputs.

`grid_tokens(cfg, tokenizer, lengths, reasoning)` counts, per cell of runs.grid_cells(cfg):
training tokens (steps x global batch x the mean truncated training row, counted as
distill_lib.train.loop counts them: the sequence, then its target again), prompt tokens prefilled
and new tokens decoded on the validation and test passes (distill_lib.experiment: the untrained
cell decodes its whole budget on every row, a trained one `Rates.rambling` times its mean training
target, within its budget from distill_lib.evaluate.budget), and, for the teacher, the prompt
tokens of the tables it is sent (its chat template applied) and `teacher.max_tokens` per answer.
Reasoning lengths come from the teacher's outputs when given, else from the worked example's two
triples. `cost_rows(tokens, rates)` turns them into hours per cell and in total.

Deliberately left out: measuring the rates (they are inputs, each commented with where it comes
from) and anything the counts do not see: data loading, memory pressure, a busy machine.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from distill_lib.config import ExperimentConfig
from distill_lib.evaluate.budget import MARGIN_FRACTION, MARGIN_MIN
from distill_lib.papers.scigen.data import load_scigen
from distill_lib.prompts import get_template
from distill_lib.runs import grid_cells

# fp32 over bf16 time of a SmolLM2 training step and of greedy generation: docs/performance.md's
# bf16 / fp32 benchmark on the 2-core AMX Xeon
FP32_SLOWDOWN = (1.58, 1.86)
TAGS = 8  # `Reasoning:` / `Description:` tags and spaces around them, in tokens (about)


@dataclass(frozen=True)
class Rates:
    """Assumed throughputs on a 2-core CPU with native bf16 (all per second)."""

    # training tokens as the loop counts them; the committed math cpu cells (SmolLM2, 2-core AMX
    # Xeon) ran at 253-301, lowered here for rows about four times as long
    train: float = 250.0
    # prompt tokens in batched greedy generation (a forward pass: about 3x a training step's rate)
    prefill: float = 600.0
    # new tokens over a whole generation batch; the committed math untrained cell decoded about
    # 200-240 with short prompts, lowered for prompts of several hundred tokens
    decode: float = 150.0
    # the embedded teacher (transformers serve, fp32, one request at a time): assumed, unmeasured
    teacher_prefill: float = 400.0
    teacher_decode: float = 25.0
    teacher_parallel: float = 1.3  # teacher.concurrency 2 on 2 cores, over one request at a time
    cell_overhead_s: float = 60.0  # a fresh process, loading the student, writing the records
    rambling: float = 1.5  # a trained student's new tokens per row over its mean training target

    def without_bf16(self) -> Rates:
        """The student's rates in fp32 (FP32_SLOWDOWN); the teacher serves fp32 anyway."""
        train, generate = FP32_SLOWDOWN
        return replace(
            self,
            train=self.train / train,
            prefill=self.prefill / generate,
            decode=self.decode / generate,
        )


def _demo_reasoning(tokenizer: Any) -> int:
    """Tokens of the worked example's two triples (reasoning, statement), the assumed reasoning."""
    demo = get_template("scigen_reasoning").exemplars[0]
    text = " ".join(f"{t['reasoning']} {t['statement']}" for t in demo["triples"])
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])


def _budget(targets: np.ndarray, ceiling: int) -> int:
    longest = int(targets.max())
    return min(ceiling, longest + max(MARGIN_MIN, int(longest * MARGIN_FRACTION)))


def _rows(cell: ExperimentConfig, lengths: dict, reasoning: float) -> tuple[np.ndarray, ...]:
    """(training inputs, training targets as trained, targets untruncated) of a cell's method."""
    train = lengths["train"]
    n = cell.data.train_limit or len(train["inputs"])
    inputs, targets = train["inputs"][:n], train["targets"][:n]
    if cell.method.name == "scigen_reasoning_input":
        inputs = inputs + int(reasoning) + TAGS
    if cell.method.name == "scigen_reasoning_output":
        targets = targets + int(reasoning) + TAGS
    student = cell.student
    return (
        np.minimum(inputs, student.max_input_tokens),
        np.minimum(targets, student.max_target_tokens),
        targets,
    )


def _eval_rows(cell: ExperimentConfig, lengths: dict) -> tuple[int, float]:
    """(rows generated in validation and test passes, their mean truncated prompt tokens)."""
    valid = lengths["dev"]["inputs"][: cell.data.valid_limit or None]
    test = lengths[cell.data.options.test_split]["inputs"][: cell.data.test_limit or None]
    subset = min(cell.train.eval_subset, len(valid))
    passes = 0 if cell.train.max_steps == 0 else -(-cell.train.max_steps // cell.train.eval_every)
    full = 0 if passes and subset >= len(valid) else len(valid)
    prompts = np.concatenate([valid[:subset]] * passes + [valid[:full], test])
    return len(prompts), float(np.minimum(prompts, cell.student.max_input_tokens).mean())


def cell_tokens(
    cell: ExperimentConfig, lengths: dict, reasoning: float, rambling: float
) -> dict[str, Any]:
    """One cell's training, prefill and decode token counts."""
    inputs, targets, full = _rows(cell, lengths, reasoning)
    budget = _budget(full, cell.eval.max_new_tokens)
    rows, prompt_mean = _eval_rows(cell, lengths)
    untrained = cell.train.max_steps == 0
    per_row = budget if untrained else min(budget, rambling * float(targets.mean()))
    steps = cell.train.max_steps * cell.train.global_batch_size
    return {
        "cell": f"{cell.method.name} seed {cell.train.seed}"
        + (" (untrained)" if untrained else ""),
        "train_tokens": round(steps * float((inputs + 2 * targets).mean())),
        "generated_rows": rows,
        "prefill_tokens": round(rows * prompt_mean),
        "decode_tokens": round(rows * per_row),
        "budget": budget,
    }


def teacher_tokens(cfg: ExperimentConfig, tokenizer: Any) -> dict[str, Any]:
    """Prompt and completion tokens of the tables the teacher stage sends (train, then test)."""
    template = get_template(cfg.teacher.template or "scigen_reasoning")
    shown = {str(e["id"]) for e in template.exemplars}
    size, data_dir = cfg.data.options.size, cfg.data.data_dir
    train = [r for r in load_scigen("train", data_dir, size) if r["id"] not in shown]
    test = list(load_scigen(cfg.data.options.test_split, data_dir, size))
    test = test[: cfg.data.test_limit or None][: cfg.extra.teacher_test_limit or cfg.teacher.limit]
    tables = train[: cfg.teacher.limit] + test
    chats = [template.render(r, chat=True) for r in tables]
    texts = [
        tokenizer.apply_chat_template(c, tokenize=False, add_generation_prompt=True) for c in chats
    ]
    prompts = tokenizer(texts, add_special_tokens=False)["input_ids"]
    return {
        "tables": len(tables),
        "prompt_tokens": sum(len(p) for p in prompts),
        "completion_tokens": len(tables) * cfg.teacher.max_tokens * cfg.teacher.n,
    }


def grid_tokens(
    cfg: ExperimentConfig,
    tokenizer: Any,
    lengths: dict,
    reasoning: np.ndarray | None,
    rates: Rates = Rates(),
) -> dict[str, Any]:
    """Every cell's token counts and the teacher's (see the module docstring)."""
    assumed = reasoning is None
    mean = float(reasoning.mean()) if reasoning is not None else _demo_reasoning(tokenizer)
    cells = [cell_tokens(cell, lengths, mean, rates.rambling) for cell in grid_cells(cfg)]
    return {
        "cells": cells,
        "teacher": teacher_tokens(cfg, tokenizer),
        "reasoning_tokens": round(mean),
        "reasoning_assumed": assumed,
    }


def cost_rows(tokens: dict[str, Any], rates: Rates) -> list[dict[str, Any]]:
    """Hours per cell, the teacher's and the total."""
    rows = []
    for cell in tokens["cells"]:
        train_s = cell["train_tokens"] / rates.train
        generate_s = cell["prefill_tokens"] / rates.prefill + cell["decode_tokens"] / rates.decode
        total = train_s + generate_s + rates.cell_overhead_s
        rows.append(
            {**cell, "train_h": train_s / 3600, "generate_h": generate_s / 3600, "h": total / 3600}
        )
    teacher = tokens["teacher"]
    teacher_s = (
        teacher["prompt_tokens"] / rates.teacher_prefill
        + teacher["completion_tokens"] / rates.teacher_decode
    ) / rates.teacher_parallel
    rows.append({"cell": f"teacher ({teacher['tables']} tables)", **teacher, "h": teacher_s / 3600})
    rows.append({"cell": "total", "h": sum(r["h"] for r in rows)})
    for row in rows:
        row.update({k: round(v, 2) for k, v in row.items() if k.endswith("_h") or k == "h"})
    return rows
