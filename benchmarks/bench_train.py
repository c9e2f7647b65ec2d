"""Training-step throughput of Distilling step-by-step: the project's path vs the reference
approach, same run.

Both paths train the same randomly initialised model (T5-v1.1-base shape and SmolLM2-135M shape,
built from inline configs) on real CQA inputs with the released PaLM rationales, with the same
global batch:
- project: distill_lib's own step (`train.loop.optimizer_step`): DistillingStepByStep rows of both
  tasks in ONE forward (`collate` + `forward_loss` / `weighted_task_loss`), length-grouped batches
  (`batch_stream`), bf16 autocast and fused AdamW on GPU, SDPA attention, optional torch.compile;
- baselines, two fp32 passes per micro-batch (a label pass, then a rationale pass), unsorted
  batches, plain AdamW, eager attention, loss = alpha * L_label + (1 - alpha) * L_rationale from the
  model's own loss: `reference`, exactly the reference code
  (google-research/distilling-step-by-step: TaskPrefixDataCollator = DataCollatorForSeq2Seq, which
  pads each task's batch to its longest row; one micro-batch of the whole batch), and `padded`, the
  same with every row padded to the maximum lengths (1024 input / 256 target; a causal sequence to
  1024 + 256), i.e. padding="max_length".
The headline ratio is against `reference`. Repetitions interleave the paths; figures are medians.
Loss parity (fp32, same examples, fresh weights, dropout off, one pass vs each baseline's two
passes) is asserted to rtol 1e-4 after the JSON is written.

FLOPs (for MFU on GPU): 6 * (N_enc * T_in + (N_dec + N_head) * T_out) for T5 and 6 * (N_body * T +
N_head * T_out) for the causal model, N excluding the input embedding, T counting non-padding tokens
only, T_out the target tokens (the project's head runs on those alone: models.output_head),
attention scores left out.

    python -m benchmarks.bench_train [--quick] [--device cuda] [--model t5|causal|both] [--compile]
                                     [--baselines reference padded]
Deliberately left out: evaluation during training, checkpoints, multi-GPU.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch
import torch.nn.functional as F

from benchmarks import common
from distill_lib.config_sections import MethodConfig, TrainConfig
from distill_lib.losses import IGNORE
from distill_lib.papers.dss.methods import DistillingStepByStep
from distill_lib.train.batching import batch_stream, collate, encode_row
from distill_lib.train.loop import (
    StepRun,
    TrainState,
    build_accelerator,
    forward_loss,
    optimizer_step,
)

# size, global batch, micro-batch of `reference` and of `padded`, steps per repetition, repetitions,
DEFAULTS = {
    # warm-up steps, records. `reference` trains the whole batch at once, as the reference's
    # batch_size 64 does.
    "gpu": {
        "size": "full",
        "batch": 64,
        "micro": 64,
        "padded_micro": 8,
        "steps": 3,
        "reps": 3,
        "warmup": 2,
        "records": 2000,
        "max_input": 1024,
        "max_target": 256,
    },
    "cpu": {
        "size": "cpu",
        "batch": 4,
        "micro": 4,
        "padded_micro": 4,
        "steps": 1,
        "reps": 3,
        "warmup": 1,
        "records": 512,
        "max_input": 1024,
        "max_target": 256,
    },
    "quick": {
        "size": "tiny",
        "batch": 4,
        "micro": 4,
        "padded_micro": 4,
        "steps": 1,
        "reps": 2,
        "warmup": 1,
        "records": 64,
        "max_input": 256,
        "max_target": 64,
    },
}
BASELINES = ("reference", "padded")
RTOL = 1e-4


def featurize(
    records: Sequence[dict],
    tokenizer: Any,
    is_seq2seq: bool,
    method: DistillingStepByStep,
    widths: tuple[int, int],
) -> list[list[dict]]:
    """Per record, its two encoded rows (label task, rationale task)."""
    return [
        [encode_row(row, tokenizer, is_seq2seq, *widths) for row in method.rows(r)] for r in records
    ]


def real_tokens(rows: Sequence[dict]) -> tuple[int, int]:
    """(tokens read, target tokens) without padding; a causal row's targets are among the tokens it
    reads."""
    return sum(len(r["input_ids"]) for r in rows), sum(
        t != IGNORE for r in rows for t in r["labels"]
    )


def baseline_batch(
    rows: Sequence[dict], widths: tuple[int, int] | None, pad_id: int, device: torch.device
) -> dict[str, torch.Tensor]:
    """One task's rows padded to their longest (widths None: DataCollatorForSeq2Seq) or to fixed
    `widths`."""
    batch = collate(rows, pad_id)
    if widths is None:
        return {k: batch[k].to(device) for k in ("input_ids", "attention_mask", "labels")}
    grow_in, grow_out = (
        widths[0] - batch["input_ids"].shape[1],
        widths[1] - batch["labels"].shape[1],
    )
    return {
        "input_ids": F.pad(batch["input_ids"], (0, grow_in), value=pad_id).to(device),
        "attention_mask": F.pad(batch["attention_mask"], (0, grow_in), value=0).to(device),
        "labels": F.pad(batch["labels"], (0, grow_out), value=IGNORE).to(device),
    }


def reference_loss(
    model: Any,
    rows_by_task: Sequence[Sequence[dict]],
    weights: Sequence[float],
    widths: tuple[int, int] | None,
    pad_id: int,
    device: torch.device,
    scale: float | None,
) -> float:
    """alpha * L_label + (1 - alpha) * L_rationale from one pass per task; backward each if
    `scale`.
    """
    total = 0.0
    for rows, weight in zip(rows_by_task, weights, strict=True):
        loss = model(**baseline_batch(rows, widths, pad_id, device)).loss
        if scale is not None:
            (weight * scale * loss).backward()
        total += weight * loss.item()
    return total


def tapped(stream: Iterator[list[int]], seen: list[int]) -> Iterator[list[int]]:
    """Pass batches through, remembering which examples went by."""
    for index in stream:
        seen.extend(index)
        yield index


def param_counts(model: Any, is_seq2seq: bool) -> tuple[int, int]:
    """(N applied to every token read, N applied to target tokens only) for the FLOP formula in the
    docstring."""
    # counted once, tied to the input embedding or not
    head = model.get_output_embeddings().weight.numel()
    body = [
        (n, p.numel())
        for n, p in model.named_parameters()
        if "embed_tokens" not in n and n != "shared.weight" and not n.startswith("lm_head.")
    ]
    if is_seq2seq:
        encoder = sum(k for n, k in body if n.startswith("encoder."))
        return encoder, sum(k for _, k in body) - encoder + head
    return sum(k for _, k in body), head


class Setup:
    """Everything one model's comparison needs: data, the two models and their step functions."""

    def __init__(
        self,
        kind: str,
        args: argparse.Namespace,
        device: torch.device,
        tokenizer: Any,
        records: Sequence[dict],
    ):
        self.kind, self.device, self.is_seq2seq = kind, device, kind == "t5"
        self.method = DistillingStepByStep(MethodConfig(name="dss", alpha=args.alpha))
        self.weights = self.method.weights
        self.pad_id = tokenizer.pad_token_id
        self.features = featurize(
            records, tokenizer, self.is_seq2seq, self.method, (args.max_input, args.max_target)
        )
        self.widths = (
            (args.max_input, args.max_target)
            if self.is_seq2seq
            else (args.max_input + args.max_target,) * 2
        )
        self.project = common.build_model(kind, args.size, tokenizer, "sdpa", args.seed).to(device)
        self.baseline = common.build_model(kind, args.size, tokenizer, "eager", args.seed).to(
            device
        )
        self.baseline.load_state_dict(self.project.state_dict())
        # torch defaults, as HF's
        self.baseline_optimizer = torch.optim.AdamW(self.baseline.parameters(), lr=1e-5)
        self.args = args

    def rows_by_task(self, index: Sequence[int]) -> list[list[dict]]:
        return [[self.features[i][task] for i in index] for task in range(len(self.weights))]

    def one_pass_loss(
        self, model: Any, index: Sequence[int], weights: Sequence[float] | None = None
    ) -> float:
        batch = collate([row for i in index for row in self.features[i]], self.pad_id)
        # every row one task: the plain token mean over both
        if weights is not None and len(weights) == 1:
            batch["tasks"] = torch.zeros_like(batch["tasks"])
        batch = {k: v.to(self.device) for k, v in batch.items()}
        return forward_loss(model, batch, self.is_seq2seq, weights or self.weights, model).item()

    def baseline_widths(self, name: str) -> tuple[int, int] | None:
        return self.widths if name == "padded" else None

    @torch.no_grad()
    def parity(self) -> dict[str, Any]:
        """fp32, dropout off, fresh identical weights, the same examples: one pass vs each
        baseline's two passes."""
        index = list(range(min(self.args.micro, self.args.padded_micro)))
        self.project.eval(), self.baseline.eval()
        one = self.one_pass_loss(self.project, index)
        two = {
            name: reference_loss(
                self.baseline,
                self.rows_by_task(index),
                self.weights,
                self.baseline_widths(name),
                self.pad_id,
                self.device,
                None,
            )
            for name in self.args.baselines
        }
        naive = self.one_pass_loss(self.project, index, [1.0])
        self.project.train(), self.baseline.train()
        first = two[self.args.baselines[0]]
        rel = max(abs(one - loss) / abs(loss) for loss in two.values())
        return {
            "examples": len(index),
            "project_one_pass": one,
            "baselines_two_passes": two,
            "rel_diff": rel,
            "rtol": RTOL,
            "passed": rel <= RTOL,
            "token_mean_over_both_tasks": naive,
            "token_mean_rel_diff": abs(naive - first) / abs(first),
        }

    def project_step_fn(self) -> tuple[Callable[[], list[int]], dict[str, Any]]:
        """distill_lib's own optimizer step over the whole global batch in one micro-batch."""
        cuda = self.device.type == "cuda"
        acc = build_accelerator(TrainConfig(precision="bf16" if cuda else "fp32"))
        model = torch.compile(self.project) if self.args.compile else self.project
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5, fused=cuda)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda _: 1.0)
        model, optimizer, scheduler = acc.prepare(model, optimizer, scheduler)
        info: dict[str, Any] = {
            "precision": "bf16 autocast" if cuda else "fp32",
            "fused_adamw": cuda,
            "attention": self.project.config._attn_implementation,
            "compiled": self.args.compile,
            "length_grouped": True,
        }
        if cuda:
            with torch.no_grad(), acc.autocast():
                model.eval()
                info["bf16_loss_on_parity_batch"] = self.one_pass_loss(
                    model, list(range(self.args.micro))
                )
                model.train()
        lengths = [
            sum(len(r["input_ids"]) + len(r["labels"]) for r in rows) for rows in self.features
        ]
        seen: list[int] = []
        stream = tapped(batch_stream(lengths, self.args.batch, self.args.seed, True), seen)

        def step() -> list[int]:
            seen.clear()
            optimizer_step(
                StepRun(
                    acc,
                    model,
                    optimizer,
                    scheduler,
                    stream,
                    self.features,
                    1,
                    self.is_seq2seq,
                    self.weights,
                    self.pad_id,
                    1.0,
                ),
                TrainState(),
            )
            return list(seen)

        return step, info

    def baseline_step_fn(self, name: str) -> tuple[Callable[[], list[int]], dict[str, Any]]:
        """Two fp32 passes per micro-batch (padded as `name` says), unsorted batches, plain
        AdamW.
        """
        model, optimizer, widths = (
            self.baseline,
            self.baseline_optimizer,
            self.baseline_widths(name),
        )
        micro = self.args.padded_micro if name == "padded" else self.args.micro
        stream = batch_stream(
            [0] * len(self.features), self.args.batch, self.args.seed, group_by_length=False
        )

        def step() -> list[int]:
            index = next(stream)
            for start in range(0, len(index), micro):
                part = index[start : start + micro]
                reference_loss(
                    model,
                    self.rows_by_task(part),
                    self.weights,
                    widths,
                    self.pad_id,
                    self.device,
                    len(part) / len(index),
                )
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            return index

        info = {
            "precision": "fp32",
            "fused_adamw": False,
            "attention": "eager",
            "length_grouped": False,
            "padded_to": list(widths) if widths else "the longest row of each task's micro-batch",
            "micro_batch": micro,
        }
        return step, info


def measure(
    setup: Setup, steps: dict[str, Callable[[], list[int]]], args: argparse.Namespace
) -> dict[str, Any]:
    """Warm up, then `reps` interleaved repetitions of `steps` optimizer steps per path; per-path
    medians."""
    device = setup.device
    for _ in range(args.warmup):
        for step in steps.values():
            step()
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in steps}
    peaks = dict.fromkeys(steps, 0.0)
    for rep in range(args.reps):
        # neither path always goes first
        order = list(steps) if rep % 2 == 0 else list(reversed(steps))
        for name in order:
            common.reset_peak_memory(device)
            seconds, seen = common.timed(
                lambda s=steps[name]: [i for _ in range(args.steps) for i in s()], device
            )
            t_in, t_out = real_tokens([row for i in seen for row in setup.features[i]])
            tokens = t_in + t_out if setup.is_seq2seq else t_in
            samples[name].append(
                {
                    "seconds": seconds,
                    "examples": len(seen),
                    "tokens": tokens,
                    "tokens_in": t_in,
                    "tokens_out": t_out,
                }
            )
            peaks[name] = max(peaks[name], common.peak_memory_mb(device))
    n_in, n_out = param_counts(setup.project, setup.is_seq2seq)
    peak_flops = common.peak_bf16_flops(device)
    figures = {}
    for name, runs in samples.items():
        flops = [6 * (n_in * r["tokens_in"] + n_out * r["tokens_out"]) / r["seconds"] for r in runs]
        figures[name] = {
            "tokens_per_s": common.median([r["tokens"] / r["seconds"] for r in runs]),
            "examples_per_s": common.median([r["examples"] / r["seconds"] for r in runs]),
            "step_s": common.median([r["seconds"] / args.steps for r in runs]),
            "peak_memory_mb": peaks[name],
            "model_flops_per_s": common.median(flops),
            "mfu": common.median(flops) / peak_flops if peak_flops else None,
            "runs": runs,
        }
    ratios = {
        name: {
            unit: figures["project"][unit] / figures[name][unit]
            for unit in ("tokens_per_s", "examples_per_s")
        }
        for name in args.baselines
    }
    headline = ratios[args.baselines[0]]
    return {
        "figures": figures,
        "params_in_out": [n_in, n_out],
        "peak_bf16_flops": peak_flops,
        "ratios": ratios,
        "headline_baseline": args.baselines[0],
        "tokens_per_s_ratio": headline["tokens_per_s"],
        "examples_per_s_ratio": headline["examples_per_s"],
    }


def run_model(
    kind: str,
    args: argparse.Namespace,
    device: torch.device,
    tokenizer: Any,
    records: Sequence[dict],
) -> dict[str, Any]:
    setup = Setup(kind, args, device, tokenizer, records)
    parity = setup.parity()
    project, project_info = setup.project_step_fn()
    baselines = {name: setup.baseline_step_fn(name) for name in args.baselines}
    # the loss the GPU path trains on, vs exact fp32
    if "bf16_loss_on_parity_batch" in project_info:
        bf16 = project_info["bf16_loss_on_parity_batch"]
        parity["bf16_rel_diff"] = abs(bf16 - parity["project_one_pass"]) / abs(
            parity["project_one_pass"]
        )
    steps = {"project": project, **{name: fn for name, (fn, _) in baselines.items()}}
    result = measure(setup, steps, args)
    params = sum(p.numel() for p in setup.project.parameters())
    shape = common.model_config(kind, args.size, tokenizer)
    return {
        "model": kind,
        "size": args.size,
        "params": params,
        "shape": shape,
        "loss_parity": parity,
        "project": project_info,
        **{name: info for name, (_, info) in baselines.items()},
        **result,
    }


def summary(result: dict[str, Any], device: torch.device) -> str:
    f = result["figures"]
    mfu = f" mfu {f['project']['mfu']:.1%}" if f["project"]["mfu"] else ""
    against = ", ".join(
        f"{name} {f[name]['tokens_per_s']:.0f} (x{ratio['tokens_per_s']:.2f})"
        for name, ratio in result["ratios"].items()
    )
    examples = " vs ".join(f"{f[name]['examples_per_s']:.2f}" for name in f)
    parity = result["loss_parity"]
    return (
        f"train[{result['model']}/{result['size']}, {device.type}]: tokens/s project "
        f"{f['project']['tokens_per_s']:.0f} vs {against}; examples/s {examples}{mfu}; loss parity "
        "rel "
        f"{parity['rel_diff']:.1e} {'ok' if parity['passed'] else 'FAILED'}"
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--model", choices=["t5", "causal", "both"], default="both")
    p.add_argument("--size", choices=["full", "cpu", "tiny"], default=None)
    for flag in (
        "batch",
        "micro",
        "padded-micro",
        "steps",
        "reps",
        "warmup",
        "records",
        "max-input",
        "max-target",
    ):
        p.add_argument(f"--{flag}", type=int, default=None, help="default: see DEFAULTS")
    p.add_argument(
        "--baselines",
        nargs="+",
        choices=BASELINES,
        default=list(BASELINES),
        help="the first one gives the headline ratio",
    )
    p.add_argument("--alpha", type=float, default=0.5)
    p.add_argument("--compile", action="store_true", help="torch.compile the project's model")
    args = p.parse_args(argv)
    device = common.resolve_device(args.device)
    mode = common.pick(args, device, DEFAULTS)
    for flag, micro in (("--micro", args.micro), ("--padded-micro", args.padded_micro)):
        if args.batch % micro:
            raise SystemExit(f"--batch {args.batch} must be a multiple of {flag} {micro}")
    records = common.cqa_records("train", args.data_dir, args.records)
    texts = [r["input"] + " " + r["rationale"] for r in records] if args.quick else None
    tokenizer, tokenizer_note = common.load_tokenizer(args.tokenizer, texts)
    kinds = ["t5", "causal"] if args.model == "both" else [args.model]
    results = [run_model(kind, args, device, tokenizer, records) for kind in kinds]
    record = {
        "benchmark": "train",
        "mode": mode,
        "args": vars(args),
        "machine": common.machine(device),
        "tokenizer": tokenizer_note,
        "data": f"CQA train, first {len(records)} records, PaLM rationales",
        "flops_formula": __doc__.split("FLOPs (for MFU on GPU): ")[1]
        .split("\n\n")[0]
        .replace("\n", " "),
        "results": results,
    }
    path = common.write_record("train", record, args.out)
    for r in results:
        print(f"{summary(r, device)} -> {path}")
    for r in results:
        parity = r["loss_parity"]
        assert parity["passed"], (
            f"{r['model']}: one-pass loss {parity['project_one_pass']} != two-pass losses "
            f"{parity['baselines_two_passes']} (rel {parity['rel_diff']:.2e} > {RTOL})"
        )
    return record


if __name__ == "__main__":
    main()
