"""Size a SciGen profile from the data: token lengths of the student's inputs and targets as the
project builds them, and what the profile's limits cut.

    python -m distill_lib.papers.scigen.sizing --config configs/scigen.yaml --profile cpu

`split_lengths(cfg, tokenizer)`: per SciGen split (train and dev of `data.options.size`, test-CL,
test-Other), the token length of every `scigen_plain` prompt (the linearized table plus the
causal separator, encoded as distill_lib.train.batching encodes a causal prompt, before
truncation) and every description (end-of-sequence included). `length_rows(cfg, lengths)` gives
per split and kind the percentiles and how many exceed `student.max_input_tokens` (inputs),
`student.max_target_tokens` and `eval.max_new_tokens` (descriptions). `reasoning_tokens(cfg,
tokenizer)`: the tokens of each training table's joined reasoning, from the teacher stage's outputs
when they exist (None before the teacher ran). The command prints both tables and the cost
estimate of papers.scigen.cost as markdown.

Deliberately left out: a seq2seq student's encoding (the causal one is measured; the tokenizer's
own special tokens are not added, as for a causal prompt), loading model weights, and throughput.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
from transformers import AutoTokenizer

from distill_lib.config import ExperimentConfig, load_config
from distill_lib.data.records import DataUnavailable
from distill_lib.models.loading import pip_model_dir
from distill_lib.papers.scigen.data import load_scigen
from distill_lib.papers.scigen.splits import load_scigen_splits
from distill_lib.train.batching import CAUSAL_SEPARATOR

SPLITS = ("train", "dev", "test-CL", "test-Other")
PERCENTILES = (50, 90, 95, 99)


def student_tokenizer(cfg: ExperimentConfig) -> Any:
    """The student's tokenizer alone (a pip-shipped model's converted dir, local dir or hub id)."""
    name = cfg.student.name
    source = pip_model_dir(name[4:], cfg.student.cache_dir) if name.startswith("pip:") else name
    return AutoTokenizer.from_pretrained(source)


def token_lengths(tokenizer: Any, texts: list[str], eos: bool = False) -> np.ndarray:
    """Tokens per text without special tokens (plus one for an end-of-sequence token)."""
    ids = tokenizer(list(texts), add_special_tokens=False)["input_ids"] if texts else []
    return np.array([len(row) + int(eos) for row in ids], dtype=int)


def split_lengths(cfg: ExperimentConfig, tokenizer: Any) -> dict[str, dict[str, np.ndarray]]:
    """{split: {'inputs': prompt tokens, 'targets': description tokens}} over whole splits."""
    out = {}
    for split in SPLITS:
        records = load_scigen(split, cfg.data.data_dir, cfg.data.options.size)
        prompts = [text + CAUSAL_SEPARATOR for text in records["input"]]
        out[split] = {
            "inputs": token_lengths(tokenizer, prompts),
            "targets": token_lengths(tokenizer, list(records["label"]), eos=True),
        }
    return out


def reasoning_tokens(cfg: ExperimentConfig, tokenizer: Any) -> np.ndarray | None:
    """Tokens of the joined teacher reasoning per training table that has some (None when the
    teacher stage has not run)."""
    try:
        train = load_scigen_splits(cfg.replace({"teacher.source": "live"}))["train"]
    except DataUnavailable:
        return None
    texts = [text for text in train["rationale"] if text]
    return token_lengths(tokenizer, texts) if texts else None


def _limits(cfg: ExperimentConfig) -> dict[str, dict[str, int]]:
    return {
        "inputs": {"student.max_input_tokens": cfg.student.max_input_tokens},
        "targets": {
            "student.max_target_tokens": cfg.student.max_target_tokens,
            "eval.max_new_tokens": cfg.eval.max_new_tokens,
        },
    }


def length_rows(
    cfg: ExperimentConfig, lengths: dict[str, dict[str, np.ndarray]]
) -> list[dict[str, Any]]:
    """One row per split and kind: n, mean, percentiles, max, and the count over each limit."""
    rows = []
    for split, kinds in lengths.items():
        for kind, values in kinds.items():
            row: dict[str, Any] = {"split": split, "kind": kind, "n": len(values)}
            row["mean"] = round(float(values.mean()))
            row.update({f"p{q}": round(float(np.percentile(values, q))) for q in PERCENTILES})
            row["max"] = int(values.max())
            for name, limit in _limits(cfg)[kind].items():
                row[f"over {name} ({limit})"] = int((values > limit).sum())
            rows.append(row)
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    """Rows of equal keys as a markdown table."""
    keys = list(dict.fromkeys(k for row in rows for k in row))
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(row.get(k, "")) for k in keys) + " |" for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    from distill_lib.papers.scigen.cost import Rates, cost_rows, grid_tokens

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/scigen.yaml")
    parser.add_argument("--profile", default="cpu")
    args = parser.parse_args(argv)
    cfg = load_config(args.config, args.profile)
    tokenizer = student_tokenizer(cfg)
    lengths = split_lengths(cfg, tokenizer)
    print(f"SciGen token lengths ({cfg.student.name} tokenizer, profile {cfg.profile})\n")
    print(markdown(length_rows(cfg, lengths)))
    reasoning = reasoning_tokens(cfg, tokenizer)
    if reasoning is not None:
        print(f"\nteacher reasoning per training table: {markdown(reasoning_rows(reasoning))}")
    tokens = grid_tokens(cfg, tokenizer, lengths, reasoning)
    source = "assumed: the worked example's triples" if tokens["reasoning_assumed"] else "measured"
    print(f"\nreasoning per table: {tokens['reasoning_tokens']} tokens ({source})")
    print(f"\nCost estimate (assumed rates, not measured here: {Rates()})\n")
    print(markdown(cost_rows(tokens, Rates())))
    fp32 = cost_rows(tokens, Rates().without_bf16())[-1]["h"]
    print(f"\nwithout native bf16 (fp32 student): {fp32} h in total")


def reasoning_rows(values: np.ndarray) -> list[dict[str, Any]]:
    return [{"n": len(values), "mean": round(float(values.mean())), "max": int(values.max())}]


if __name__ == "__main__":
    main()
