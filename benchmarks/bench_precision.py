"""bf16 autocast vs fp32 on a real student: one DSS training step and batched generation, same run,
same batch; and the trainer's fused AdamW step against the per-parameter one.

The student is the full SmolLM2-135M-Instruct (pip GGUF, dequantized and cached; `--quick`: a tiny
causal model built from a config). The training batch is the first `--records` e-SNLI train records
through DistillingStepByStep (label and rationale rows, one forward: `train.loop.forward_loss`),
AdamW as in the trainer (`train.loop.build_optimizer`, fused). Repetitions interleave fp32 and
bf16; figures are medians of the timed steps after warm-up.

Loss agreement: before any optimizer step, the loss of the same batch and weights in both
precisions; |bf16 - fp32| / fp32 must be within `--tolerance` (asserted after the JSON is written).
Generation: the first `--gen` CQA test prompts (standard finetuning prompts), greedy, `--new-tokens`
new tokens, batch 64; the share of identical outputs between the two precisions is reported.
Optimizer: on the gradients of that batch, `optimizer.step()` alone of the trainer's fused AdamW
and of torch's per-parameter AdamW (`foreach=False`), interleaved; after the timed steps both
copies' weights must agree to `OPTIMIZER_TOLERANCE` (asserted after the JSON is written).

    python -m benchmarks.bench_precision [--quick] [--records 16] [--reps 3] [--gen 64]
                                         [--device cpu|cuda]

Deliberately left out: fp16 (no CPU path) and the tiny-slice models of bench_train (this is the real
student).
"""

from __future__ import annotations

import copy
import sys
from typing import Any

import torch

from benchmarks import common
from distill_lib.config_sections import EvalConfig, MethodConfig, StudentConfig, TrainConfig
from distill_lib.evaluate.generate import generate_texts
from distill_lib.models.loading import load_student
from distill_lib.models.precision import autocast, cpu_has_native_bf16, machine_info
from distill_lib.papers.dss.data import load_dss
from distill_lib.papers.index import build_method
from distill_lib.train.batching import collate, encode_row
from distill_lib.train.loop import build_optimizer, forward_loss

# bf16 keeps 8 bits of mantissa: a loss over ~1k tokens agrees to about 1% with fp32
TOLERANCE = 0.02
# fused and per-parameter AdamW do the same float32 arithmetic in another order
OPTIMIZER_TOLERANCE = 1e-5


def student(quick: bool) -> Any:
    if not quick:
        return load_student(StudentConfig(name="pip:smollm2", kind="causal"))
    texts = [r["input"] + " " + r["rationale"] for r in list(load_dss("esnli")["train"])[:300]]
    return load_student(StudentConfig(name="tiny-causal"), texts)


def training_batch(
    tokenizer: Any, records: int
) -> tuple[dict[str, torch.Tensor], list[float], int]:
    method = build_method(MethodConfig(name="dss"))
    rows = [
        encode_row(row, tokenizer, False, 128, 128)
        for r in list(load_dss("esnli")["train"])[:records]
        for row in method.rows(r)
    ]
    batch = collate(rows, tokenizer.pad_token_id)
    return batch, method.weights, int(batch["attention_mask"].sum())


def step(
    model: Any,
    optimizer: Any,
    batch: dict[str, torch.Tensor],
    weights: list[float],
    precision: str,
    device: torch.device,
) -> float:
    with autocast(precision, device):
        loss = forward_loss(model, batch, False, weights, model)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return float(loss.detach())


@torch.no_grad()
def loss_of(
    model: Any,
    batch: dict[str, torch.Tensor],
    weights: list[float],
    precision: str,
    device: torch.device,
) -> float:
    with autocast(precision, device):
        return float(forward_loss(model, batch, False, weights, model))


def measure_training(args: Any, stud: Any, device: torch.device) -> dict[str, Any]:
    batch, weights, tokens = training_batch(stud.tokenizer, args.records)
    batch = {k: v.to(device) for k, v in batch.items()}
    model = stud.model.to(device).train()
    losses = {p: loss_of(model, batch, weights, p, device) for p in ("fp32", "bf16")}
    models = {p: copy.deepcopy(model) for p in ("fp32", "bf16")}
    optims = {p: build_optimizer(m, TrainConfig(lr=1e-5)) for p, m in models.items()}
    times: dict[str, list[float]] = {"fp32": [], "bf16": []}
    for rep in range(args.warmup + args.reps):
        for p in ("fp32", "bf16"):
            seconds, _ = common.timed(
                lambda p=p: step(models[p], optims[p], batch, weights, p, device), device
            )
            if rep >= args.warmup:
                times[p].append(seconds)
    fig = {
        p: {"step_s": common.median(t), "tokens_per_s": tokens / common.median(t)}
        for p, t in times.items()
    }
    relative = abs(losses["bf16"] - losses["fp32"]) / abs(losses["fp32"])
    return {
        "rows": int(batch["input_ids"].shape[0]),
        "tokens": tokens,
        "figures": fig,
        "step_times_s": times,
        "speedup_bf16": fig["fp32"]["step_s"] / fig["bf16"]["step_s"],
        "loss_fp32": losses["fp32"],
        "loss_bf16": losses["bf16"],
        "loss_relative_difference": relative,
        "tolerance": args.tolerance,
    }


def measure_optimizer(args: Any, stud: Any, device: torch.device) -> dict[str, Any]:
    """Seconds of `optimizer.step()` alone: the trainer's fused AdamW vs per-parameter AdamW."""
    batch, weights, _ = training_batch(stud.tokenizer, args.records)
    batch = {k: v.to(device) for k, v in batch.items()}
    models = {k: copy.deepcopy(stud.model).to(device).train() for k in ("fused", "per_parameter")}
    cfg = TrainConfig(lr=1e-5)
    optims = {
        "fused": build_optimizer(models["fused"], cfg),
        "per_parameter": torch.optim.AdamW(
            models["per_parameter"].parameters(),
            lr=cfg.lr,
            weight_decay=cfg.weight_decay,
            foreach=False,
        ),
    }
    for model in models.values():
        with autocast("bf16", device):
            forward_loss(model, batch, False, weights, model).backward()
    times: dict[str, list[float]] = {k: [] for k in models}
    for rep in range(args.warmup + args.reps):
        for k, optimizer in optims.items():
            seconds, _ = common.timed(optimizer.step, device)  # same gradients every step
            if rep >= args.warmup:
                times[k].append(seconds)
    pairs = zip(models["fused"].parameters(), models["per_parameter"].parameters(), strict=True)
    gap = max(float((a - b).detach().abs().max()) for a, b in pairs)
    medians = {k: common.median(t) for k, t in times.items()}
    return {
        "params": sum(p.numel() for p in models["fused"].parameters()),
        "step_s": medians,
        "step_times_s": times,
        "speedup_fused": medians["per_parameter"] / medians["fused"],
        "max_weight_difference": gap,
        "tolerance": OPTIMIZER_TOLERANCE,
    }


def measure_generation(args: Any, stud: Any, device: torch.device) -> dict[str, Any]:
    method = build_method(MethodConfig(name="standard_ft"))
    prompts = [method.prompt(r, "label") for r in list(load_dss("cqa")["test"])[: args.gen]]
    stud.model.to(device)
    settings = EvalConfig(batch_size=64, max_new_tokens=args.new_tokens)
    texts, seconds = {}, {}
    for p in ("fp32", "bf16"):
        seconds[p], texts[p] = common.timed(
            lambda p=p: generate_texts(
                stud, prompts, settings, max_input=128, precision=p, progress=False
            ),
            device,
        )
    same = sum(a == b for a, b in zip(texts["fp32"], texts["bf16"], strict=True)) / len(prompts)
    return {
        "prompts": len(prompts),
        "new_tokens": args.new_tokens,
        "seconds": seconds,
        "examples_per_s": {p: len(prompts) / s for p, s in seconds.items()},
        "speedup_bf16": seconds["fp32"] / seconds["bf16"],
        "same_text_share": same,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--records", type=int, default=16)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--gen", type=int, default=64)
    p.add_argument("--new-tokens", type=int, default=16)
    p.add_argument("--tolerance", type=float, default=TOLERANCE)
    args = p.parse_args(argv)
    device = common.resolve_device(args.device)
    torch.manual_seed(args.seed)
    stud = student(args.quick)
    result = {
        "benchmark": "precision",
        "student": stud.name,
        "args": vars(args),
        "cpu_native_bf16": cpu_has_native_bf16(),
        "machine": {**common.machine(device), **machine_info()},
        "train": measure_training(args, stud, device),
        "generate": measure_generation(args, stud, device),
        "optimizer": measure_optimizer(args, stud, device),
    }
    path = common.write_record("precision", result, args.out)
    t, g, o = result["train"], result["generate"], result["optimizer"]
    print(
        f"precision [{stud.name}, {device}, native bf16: {result['cpu_native_bf16']}]: train step "
        f"fp32 {t['figures']['fp32']['step_s']:.2f} s, bf16 {t['figures']['bf16']['step_s']:.2f} s "
        f"(x{t['speedup_bf16']:.2f}); loss {t['loss_fp32']:.4f} vs {t['loss_bf16']:.4f} "
        f"(rel {t['loss_relative_difference']:.1e}); generate x{g['speedup_bf16']:.2f}, same text "
        f"{100 * g['same_text_share']:.0f}%; AdamW step fused {o['step_s']['fused']:.3f} s, "
        f"per-parameter {o['step_s']['per_parameter']:.3f} s (x{o['speedup_fused']:.2f}) -> {path}"
    )
    if t["loss_relative_difference"] > args.tolerance:
        sys.exit(
            f"bf16 loss differs from fp32 by {t['loss_relative_difference']:.2e} > {args.tolerance}"
        )
    if o["max_weight_difference"] > OPTIMIZER_TOLERANCE:
        sys.exit(
            f"fused and per-parameter AdamW weights differ by {o['max_weight_difference']:.2e} > "
            f"{OPTIMIZER_TOLERANCE}"
        )
    return result


if __name__ == "__main__":
    main()
