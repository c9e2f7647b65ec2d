"""Evaluation throughput: greedy generation over CQA test prompts, batched and length-sorted vs one
at a time.

Both paths call distill_lib.evaluate.generate.generate_texts on the same model (randomly
initialised, built from an inline config: T5-v1.1-base shape on GPU, 2 layers per stack on CPU) with
the DSS label prompt (`predict: <question>`): the project's path with `--batch-size` prompts per
call (sorted by length, padded per batch), the baseline with batch size 1. Every prompt gets exactly
`--max-new-tokens` new tokens (min_new_tokens = max_new_tokens, so EOS never ends one early and both
paths do the same decoding work). The baseline runs on `--baseline-n` prompts spread evenly over the
`--n` (it is slow; examples/s is a rate, and the spread keeps the prompt-length mix). Repetitions
interleave the two paths; figures are medians. The share of baseline prompts whose text matches the
batched output is recorded, not asserted (padding may change low-order bits).

    python -m benchmarks.bench_eval [--quick] [--device cuda] [--n 1000] [--model t5|causal]
Deliberately left out: beam search and scoring.
"""

from __future__ import annotations

from typing import Any

import torch

from benchmarks import common
from distill_lib.config_sections import EvalConfig, MethodConfig
from distill_lib.evaluate.generate import generate_texts
from distill_lib.models.loading import Student
from distill_lib.papers.dss.methods import DistillingStepByStep

DEFAULTS = {  # model size, prompts (project), prompts (baseline), repetitions, new tokens, dtype
    "gpu": {
        "size": "full",
        "n": 1000,
        "baseline_n": 100,
        "reps": 3,
        "max_new_tokens": 32,
        "dtype": "bf16",
    },
    "cpu": {
        "size": "cpu",
        "n": 1000,
        "baseline_n": 20,
        "reps": 3,
        "max_new_tokens": 16,
        "dtype": "fp32",
    },
    "quick": {
        "size": "tiny",
        "n": 32,
        "baseline_n": 4,
        "reps": 1,
        "max_new_tokens": 8,
        "dtype": "fp32",
    },
}
DTYPES = {"bf16": torch.bfloat16, "fp32": torch.float32}


def spread_index(n: int, k: int) -> list[int]:
    """`k` indices spread evenly over range(n), starting at 0."""
    k = min(k, n)
    return [i * n // k for i in range(k)]


def measure(
    model: Any, tokenizer: Any, is_seq2seq: bool, prompts: list, args: Any, device: torch.device
) -> dict[str, Any]:
    """Warm up both paths, then `reps` interleaved repetitions; per-path examples/s medians."""
    spread = spread_index(len(prompts), args.baseline_n)
    paths = {"project": (prompts, args.batch_size), "baseline": ([prompts[i] for i in spread], 1)}

    def run(name: str, limit: int | None = None) -> list[str]:
        subset, batch_size = paths[name]
        student = Student(model, tokenizer, is_seq2seq, "bench")
        settings = EvalConfig(batch_size=batch_size, max_new_tokens=args.max_new_tokens)
        return generate_texts(student, subset[:limit], settings, progress=False)

    for name, (_, batch_size) in paths.items():  # warm-up: one batch each
        run(name, batch_size)
    rates: dict[str, list[float]] = {name: [] for name in paths}
    texts: dict[str, list[str]] = {}
    for rep in range(args.reps):
        for name in list(paths) if rep % 2 == 0 else list(reversed(paths)):
            seconds, texts[name] = common.timed(lambda n=name: run(n), device)
            rates[name].append(len(paths[name][0]) / seconds)
    same = sum(
        text == texts["project"][i] for i, text in zip(spread, texts["baseline"], strict=True)
    )
    figures = {
        name: {
            "examples": len(paths[name][0]),
            "batch_size": paths[name][1],
            "examples_per_s": common.median(r),
            "runs_examples_per_s": r,
        }
        for name, r in rates.items()
    }
    return {
        "figures": figures,
        "same_text_share": same / len(texts["baseline"]),
        "examples_per_s_ratio": figures["project"]["examples_per_s"]
        / figures["baseline"]["examples_per_s"],
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--model", choices=["t5", "causal"], default="t5")
    p.add_argument("--size", choices=["full", "cpu", "tiny"], default=None)
    for flag in ("n", "baseline-n", "reps", "max-new-tokens"):
        p.add_argument(f"--{flag}", type=int, default=None, help="default: see DEFAULTS")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument(
        "--dtype", choices=list(DTYPES), default=None, help="model weights (bf16 on GPU)"
    )
    args = p.parse_args(argv)
    device = common.resolve_device(args.device)
    mode = common.pick(args, device, DEFAULTS)
    records = common.cqa_records("test", args.data_dir, args.n)
    texts = [r["input"] for r in records] if args.quick else None
    tokenizer, tokenizer_note = common.load_tokenizer(args.tokenizer, texts)
    method = DistillingStepByStep(MethodConfig(name="dss"))
    prompts = [method.prompt(r) for r in records]
    is_seq2seq = args.model == "t5"
    model = common.build_model(args.model, args.size, tokenizer, "sdpa", args.seed)
    model.generation_config.min_new_tokens = args.max_new_tokens
    model = model.to(device=device, dtype=DTYPES[args.dtype]).eval()
    result = measure(model, tokenizer, is_seq2seq, prompts, args, device)
    record = {
        "benchmark": "eval",
        "mode": mode,
        "args": vars(args),
        "machine": common.machine(device),
        "tokenizer": tokenizer_note,
        "model": args.model,
        "size": args.size,
        "attention": model.config._attn_implementation,
        "params": sum(p.numel() for p in model.parameters()),
        "data": f"CQA test, first {len(records)} records, DSS label prompt",
        "decoding": f"greedy, exactly {args.max_new_tokens} new tokens per prompt "
        "(min_new_tokens = max_new_tokens)",
        **result,
    }
    path = common.write_record("eval", record, args.out)
    f = result["figures"]
    print(
        f"eval[{args.model}/{args.size}, {device.type}, {args.dtype}]: examples/s batched "
        f"{f['project']['examples_per_s']:.1f} (n={f['project']['examples']}, batch "
        f"{args.batch_size}) vs one at a "
        f"time {f['baseline']['examples_per_s']:.2f} (n={f['baseline']['examples']}) "
        f"(x{result['examples_per_s_ratio']:.1f}) -> {path}"
    )
    return record


if __name__ == "__main__":
    main()
