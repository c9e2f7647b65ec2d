"""One accelerate training loop for every paper: CPU, one GPU (bf16) or several (`accelerate
launch`).

- The batch size in the config is global: the data order is drawn in global batches, each split into
  micro-batches (each process takes its shard of each) whose losses are shares of the global batch's
  loss, so the micro-batch size and the number of processes change nothing but rounding.
- One forward pass per micro-batch covers every task of the method (DSS: label and rationale rows
  together), with the per-task weighted loss of distill_lib.losses.
- AdamW (torch's fused kernel, on CPU as on GPU), linear warmup then linear, cosine or constant
  (`train.schedule`), grad-norm
  clip, bf16 autocast where the hardware has native bf16 (GPU, or a CPU with AVX512-BF16 / AMX;
  `train.precision: auto`).
- Every `eval_every` steps: score a fixed validation subset; with `train.select: best` the best
  step's weights (ties: the later step) go to `best/`,
  and the full training state to `checkpoint/` so a killed run resumes where it stopped (same data
  order); both are written atomically (distill_lib.train.checkpoints). After the last step the
  optimizer's state is dropped before that step's validation: nothing needs it any more.

Deliberately left out: which paper or dataset is trained (the caller passes rows and an evaluation
function).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from accelerate import Accelerator, PartialState
from accelerate.state import AcceleratorState
from accelerate.utils import set_seed
from transformers import (
    get_constant_schedule_with_warmup,
    get_cosine_schedule_with_warmup,
    get_linear_schedule_with_warmup,
)

from distill_lib.config_sections import TrainConfig
from distill_lib.losses import IGNORE, next_token_labels, weighted_task_loss
from distill_lib.models.output_head import logits_at
from distill_lib.models.precision import resolve_precision
from distill_lib.progress import progress as tqdm
from distill_lib.train.batching import batch_stream, collate, length_groups, task_token_counts
from distill_lib.train.checkpoints import (
    TrainState,
    check_finite_loss,
    load_checkpoint,
    save_best,
    save_checkpoint,
)
from distill_lib.train.heap import trim_heap, trim_heap_above

Evaluator = Callable[[Any], float]


def build_accelerator(cfg: TrainConfig) -> Accelerator:
    """An Accelerator with bf16 autocast when the resolved precision is bf16 (GPU, or a CPU with
    native bf16).

    accelerate keeps one process-wide state; a cell asking for another precision than the previous
    one in the same process (a notebook session, a test run) resets that state's precision instead
    of failing.
    """
    mixed = "bf16" if resolve_precision(cfg.precision) == "bf16" else "no"
    if AcceleratorState._shared_state.get("_mixed_precision") not in (None, mixed):
        AcceleratorState._reset_state(reset_partial_state=False)
    return Accelerator(mixed_precision=mixed, cpu=not torch.cuda.is_available())


def process_state() -> PartialState:
    """This process's place in the run (rank, main or not, device). Without a GPU it is created as a
    CPU state, so that several processes (`torchrun` / `accelerate launch` on CPUs) form a gloo
    group, not one each."""
    return PartialState(cpu=not torch.cuda.is_available())


def micro_batch_plan(cfg: TrainConfig, world: int) -> tuple[int, int]:
    """(per-device micro-batch, accumulation steps) giving exactly cfg.global_batch_size examples
    per step."""
    micro = min(cfg.per_device_batch_size, max(cfg.global_batch_size // world, 1))
    accumulation, rest = divmod(cfg.global_batch_size, micro * world)
    if rest or accumulation == 0:
        raise ValueError(
            f"global_batch_size {cfg.global_batch_size} is not a multiple of per-device batch "
            f"{micro} x {world} processes"
        )
    return micro, accumulation


def forward_loss(
    model: Any,
    batch: dict[str, torch.Tensor],
    is_seq2seq: bool,
    weights: Sequence[float],
    base_model: Any,
    counts: Sequence[int] | None = None,
) -> torch.Tensor:
    """Weighted per-task loss of one batch from a single forward pass, logits only at the target
    positions (`counts`: see losses.weighted_task_loss)."""
    logits, labels, scored = target_logits(model, batch, is_seq2seq, base_model)
    tasks = batch["tasks"].unsqueeze(1).expand_as(labels)[scored]
    return weighted_task_loss(logits, labels[scored], tasks, weights, counts)


def target_logits(
    model: Any, batch: dict[str, torch.Tensor], is_seq2seq: bool, base_model: Any
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(logits at the scored positions (N, V), the labels each position is scored on (B, T),
    the scored positions (B, T)) of one forward pass; a causal row's labels moved one place."""
    labels = batch["labels"] if is_seq2seq else next_token_labels(batch["labels"])
    scored = labels != IGNORE
    inputs = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}
    if is_seq2seq:
        inputs["decoder_input_ids"] = base_model.prepare_decoder_input_ids_from_labels(
            labels=batch["labels"]
        )
    with logits_at(base_model, scored) as selected:
        logits = model(**inputs).logits
    return (logits if selected else logits[scored]), labels, scored


def _evaluate(
    acc: Accelerator,
    model: Any,
    state: TrainState,
    evaluate: Evaluator,
    run_dir: Path,
    save: bool,
    tokenizer: Any,
    select: str = "best",
) -> None:
    score = evaluate(acc.unwrap_model(model))
    state.history.append({"step": state.step, "valid": score})
    if select == "last":  # validation is recorded, never used to pick: nothing to save
        state.best_score, state.best_step = score, state.step
    elif score >= state.best_score:  # ties go to the later step
        state.best_score, state.best_step = score, state.step
        if acc.is_main_process:
            save_best(acc.unwrap_model(model), tokenizer, run_dir)
    if save:
        save_checkpoint(acc, state, run_dir)


def build_optimizer(model: Any, cfg: TrainConfig) -> torch.optim.AdamW:
    """AdamW with torch's fused kernel: the same update as the reference per-parameter loop, in one
    pass over the weights, on a CPU as on a GPU (the README's cost notes say what it saves)."""
    return torch.optim.AdamW(
        model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, fused=True
    )


def release_optimizer_state(optimizer: Any) -> None:
    """Drop AdamW's moments (two fp32 copies of the weights) once no step follows, so the last
    validation pass and the checkpoint after it run beside the weights alone; a resume from that
    checkpoint has no step left to take."""
    optimizer.state.clear()
    trim_heap()


def build_scheduler(optimizer: torch.optim.Optimizer, cfg: TrainConfig) -> Any:
    """Linear warmup over `warmup_ratio` of the steps, then `cfg.schedule`: linear decay to 0,
    cosine decay to 0, or constant."""
    warmup = int(cfg.warmup_ratio * cfg.max_steps)
    build = {
        "linear": get_linear_schedule_with_warmup,
        "cosine": get_cosine_schedule_with_warmup,
    }.get(cfg.schedule)
    if build is None:
        return get_constant_schedule_with_warmup(optimizer, warmup)
    return build(optimizer, warmup, cfg.max_steps)


def train(
    model: Any,
    tokenizer: Any,
    is_seq2seq: bool,
    features: Sequence[list[dict]],
    weights: Sequence[float],
    evaluate: Evaluator,
    cfg: TrainConfig,
    run_dir: Path,
) -> tuple[Any, TrainState]:
    """Train on `features` (per record, its encoded rows); returns the final model and the training
    state."""
    run_dir.mkdir(parents=True, exist_ok=True)
    acc = build_accelerator(cfg)
    set_seed(cfg.seed)
    micro, _ = micro_batch_plan(cfg, acc.num_processes)
    optimizer = build_optimizer(model, cfg)
    scheduler = build_scheduler(optimizer, cfg)
    # the scheduler stays ours: one step per global step
    model, optimizer = acc.prepare(model, optimizer)
    acc.register_for_checkpointing(scheduler)
    state = load_checkpoint(acc, run_dir)
    lengths = [sum(len(r["input_ids"]) + len(r["labels"]) for r in rows) for rows in features]
    # global batches, split into micro-batches in optimizer_step: the data order and the loss do
    # not depend on the micro-batch size or the number of processes
    stream = batch_stream(
        lengths, cfg.global_batch_size, cfg.seed, cfg.group_by_length, drop_last=True
    )
    for _ in range(state.step):  # replay the data order up to the resumed step
        next(stream)
    bar = tqdm(
        total=cfg.max_steps, initial=state.step, desc="train", disable=not acc.is_main_process
    )
    started = time.time() - state.wall_s
    model.train()
    run = StepRun(
        acc,
        model,
        optimizer,
        scheduler,
        stream,
        features,
        micro * acc.num_processes,
        is_seq2seq,
        weights,
        tokenizer.pad_token_id,
        cfg.grad_clip,
        cfg.micro_batch_tokens,
        cfg.heap_trim_above_gb,
    )
    while state.step < cfg.max_steps:
        loss = optimizer_step(run, state)
        trim_heap()  # what the step freed goes back now, not after the cell (train.heap)
        state.step += 1
        check_finite_loss(acc, loss, state.step)  # nan / inf: stop before anything is saved
        state.wall_s = time.time() - started
        bar.update(1)
        if state.step % cfg.log_every == 0 or state.step == cfg.max_steps:
            state.losses.append({"step": state.step, "loss": loss})
            bar.set_postfix(loss=f"{loss:.4f}", best=f"{state.best_score:.3f}")
        if state.step == cfg.max_steps:
            release_optimizer_state(optimizer)
        if state.step % cfg.eval_every == 0 or state.step == cfg.max_steps:
            _evaluate(
                acc, model, state, evaluate, run_dir, cfg.save_checkpoints, tokenizer, cfg.select
            )
    bar.close()
    return acc.unwrap_model(model), state


@dataclass
class StepRun:
    """Everything one optimizer step needs, prepared once by `train`."""

    acc: Accelerator
    model: Any
    optimizer: Any
    scheduler: Any
    stream: Iterator[list[int]]  # record indices of each global batch, in training order
    features: Sequence[list[dict]]  # per record, its encoded rows
    chunk: int  # records per global micro-batch (per-device micro-batch x processes)
    is_seq2seq: bool
    weights: Sequence[float]
    pad_id: int
    grad_clip: float
    max_positions: int = 0  # TrainConfig.micro_batch_tokens: the padded positions of one forward
    heap_trim_above_gb: float = 0.0  # TrainConfig.heap_trim_above_gb


def optimizer_step(run: StepRun, state: TrainState) -> float:
    """One optimizer step over the next global batch, in micro-batches of `run.chunk` records
    (each process takes its shard of each), each micro-batch's rows in forward passes of similar
    length (batching.length_groups: the loss is the same, the padding is not); returns this
    process's loss (tokens into `state`)."""
    acc, model = run.acc, run.model
    total = 0.0
    base = acc.unwrap_model(model)
    records = next(run.stream)
    counts = task_token_counts(
        [row for i in records for row in run.features[i]], len(run.weights), run.is_seq2seq
    )
    groups = [
        group
        for start in range(0, len(records), run.chunk)
        for group in length_groups(
            [
                row
                for i in records[start : start + run.chunk][acc.process_index :: acc.num_processes]
                for row in run.features[i]
            ],
            max_positions=run.max_positions,
        )
    ]
    for number, rows in enumerate(groups, start=1):
        batch = {k: v.to(acc.device) for k, v in collate(rows, run.pad_id).items()}
        # causal: targets are inputs
        targets = int((batch["labels"] != -100).sum()) if run.is_seq2seq else 0
        state.tokens += int(batch["attention_mask"].sum()) + targets
        last = number == len(groups)
        with contextlib.nullcontext() if last else acc.no_sync(model), acc.autocast():
            # this micro-batch's share of the global batch's loss (token means over the whole
            # global batch); processes' gradients are averaged, so each share counts world times
            loss = forward_loss(model, batch, run.is_seq2seq, run.weights, base, counts)
            # gradients are all-reduced once, on the last micro-batch
            acc.backward(loss * acc.num_processes)
        total += loss.item()
        del loss, batch
        # this forward's activations are free now; the next forward's other shapes would not
        # reuse glibc's kept pages, and a step's RSS would grow by each micro-batch (train.heap)
        trim_heap_above(run.heap_trim_above_gb)
    if run.grad_clip:
        acc.clip_grad_norm_(model.parameters(), run.grad_clip)
    run.optimizer.step()
    run.scheduler.step()
    run.optimizer.zero_grad(set_to_none=True)
    return total * acc.num_processes
