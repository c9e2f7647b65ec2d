"""The inputs of the CPU step and memory benchmarks: the student, a cell's real DSS SVAMP batch,
micro-batch plans, variant settings.

- `load_inputs(quick)`: SmolLM2-135M-Instruct (`quick`: the tiny causal model) and, of the 48
  length-grouped global batches of 16 records a `cpu`-profile DSS SVAMP cell draws, the one whose
  padded size is nearest their mean (`largest=True`: the largest), as encoded rows, with the
  method's task weights and each task's target-token count.
- `chunks(rows, pad, plan)`: the forward passes of a global batch: `trainer:K`, the trainer's plan
  (K records per micro-batch, each micro-batch's rows in groups of similar length:
  train.batching.length_groups); `records:K`, K records per forward (the trainer before length
  groups); `tokens:N`, the rows sorted by length and cut so that no forward exceeds N padded
  positions (`token_budget`). The loss is the same for all: each forward's loss is its share of the
  global batch's token means.

Deliberately left out: timing and memory measurement (the benchmarks).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from distill_lib.config_sections import MethodConfig, StudentConfig
from distill_lib.models.loading import Student, load_student
from distill_lib.papers.dss.data import load_dss
from distill_lib.papers.index import build_method
from distill_lib.train.batching import (
    batch_stream,
    collate,
    encode_row,
    length_groups,
    task_token_counts,
)
from distill_lib.train.features import usable_rows

CELL = {"records": 768, "batch": 16, "steps": 48, "max_input": 128, "max_target": 128}


def parse_variant(spec: str) -> dict[str, Any]:
    """'bf16,attn=fp32,micro=tokens:1024,threads=2,compile' -> settings (defaults: sdpa in the
    step's precision, the trainer's micro-batch plan, 1 thread)."""
    settings: dict[str, Any] = {"precision": "fp32", "attn": "sdpa", "micro": "trainer:16"}
    settings.update(threads=1, compile=False)
    for part in spec.split(","):
        key, _, value = part.partition("=")
        if key in ("fp32", "bf16"):
            settings["precision"] = key
        elif key == "compile":
            settings["compile"] = True
        elif key in ("attn", "micro", "threads"):
            settings[key] = int(value) if key == "threads" else value
        else:
            raise ValueError(f"unknown variant setting {part!r} in {spec!r}")
    return settings


def _features(student: Student, limit: int) -> tuple[list[list[dict]], list[float]]:
    records = list(load_dss("svamp")["train"])[:limit]
    method = build_method(MethodConfig(name="dss")).fitted_to(records)
    rows, _ = usable_rows(method, records)
    tok = student.tokenizer
    features = [
        [encode_row(r, tok, False, CELL["max_input"], CELL["max_target"]) for r in record_rows]
        for record_rows in rows
    ]
    return features, method.weights


def padded_size(rows: Sequence[dict]) -> int:
    return len(rows) * max(len(r["input_ids"]) for r in rows)


def cell_batches(features: list[list[dict]]) -> list[list[dict]]:
    """The rows of each global batch the cell's first CELL['steps'] steps train on."""
    lengths = [sum(len(r["input_ids"]) + len(r["labels"]) for r in rows) for rows in features]
    stream = batch_stream(lengths, CELL["batch"], 0, True, drop_last=True)
    batches = [next(stream) for _ in range(CELL["steps"])]
    return [[row for i in index for row in features[i]] for index in batches]


def load_inputs(
    quick: bool, largest: bool = False
) -> tuple[Student, list[dict], list[float], list[int]]:
    """(student, the global batch's rows, task weights, target tokens per task)."""
    if quick:
        texts = [r["input"] + " " + r["rationale"] for r in list(load_dss("svamp")["train"])[:200]]
        student = load_student(StudentConfig(name="tiny-causal"), texts)
    else:
        student = load_student(StudentConfig(name="pip:smollm2", kind="causal"))
    features, weights = _features(student, 64 if quick else CELL["records"])
    batches = cell_batches(features) if not quick else [sum(features[:4], [])]
    mean = sum(padded_size(b) for b in batches) / len(batches)
    pick = (
        max(batches, key=padded_size)
        if largest
        else min(batches, key=lambda b: abs(padded_size(b) - mean))
    )
    return student, pick, weights, task_token_counts(pick, len(weights), False)


def token_budget(rows: Sequence[dict], budget: int) -> list[list[dict]]:
    """`rows` sorted by length, cut into micro-batches of at most `budget` padded positions (a row
    longer than the budget goes alone)."""
    ordered = sorted(rows, key=lambda r: len(r["input_ids"]))
    plan: list[list[dict]] = [[]]
    for row in ordered:  # ascending: the new row sets the micro-batch's width
        if plan[-1] and (len(plan[-1]) + 1) * len(row["input_ids"]) > budget:
            plan.append([])
        plan[-1].append(row)
    return plan


def chunks(rows: list[dict], pad_id: int, micro: str) -> list[dict[str, torch.Tensor]]:
    """The collated forward passes of `rows` for a plan 'trainer:K', 'records:K' or 'tokens:N'."""
    kind, _, size = micro.partition(":")
    per = 2 * int(size)  # records: two rows (label, rationale) per DSS record
    if kind == "tokens":
        groups = token_budget(rows, int(size))
    elif kind == "records":
        groups = [rows[i : i + per] for i in range(0, len(rows), per)]
    elif kind == "trainer":
        groups = [g for i in range(0, len(rows), per) for g in length_groups(rows[i : i + per])]
    else:
        raise ValueError(f"plan must be trainer:K, records:K or tokens:N, got {micro!r}")
    return [collate(group, pad_id) for group in groups]


def param_split(model: Any) -> dict[str, int]:
    """All parameters, the body's (without the embedding / tied head) and the output head's."""
    head = model.get_output_embeddings().weight.numel()
    total = sum(p.numel() for p in model.parameters())
    tied = model.get_output_embeddings().weight is model.get_input_embeddings().weight
    body = total - head - (0 if tied else model.get_input_embeddings().weight.numel())
    return {"all": total, "body": body, "head": head}
