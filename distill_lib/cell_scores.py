"""What a cell scores on a split: generation per test format within its new-token budget, scored
by the paper's scorer, plus (test passes, multiple-choice data, `eval.rank_choices`) the choice
ranked by log-likelihood as a second, labelled metric; and the per-example outcomes a result record
and predictions.jsonl keep.

Deliberately left out: training, the cell's life cycle and where files go (distill_lib.experiment,
distill_lib.cell_files).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from distill_lib.config import ExperimentConfig
from distill_lib.evaluate.choices import CHOICE_KEY, rank_choices
from distill_lib.evaluate.generate import generate_texts
from distill_lib.methods import Method
from distill_lib.models.loading import Student
from distill_lib.models.precision import resolve_precision
from distill_lib.papers.index import paper_for


def evaluate_records(
    student: Student,
    method: Method,
    records: list[dict],
    cfg: ExperimentConfig,
    progress: bool = False,
    rank: bool = False,
) -> dict[str, Any]:
    """Generate for `records` once per format the method is tested on, and score with the paper's
    scorer; `primary` is the mean over the formats. With `rank` (test passes) and
    `eval.rank_choices`, records with choices are also scored by choice log-likelihood, under
    CHOICE_KEY (never part of `primary`)."""
    precision = resolve_precision(cfg.train.precision, str(next(student.model.parameters()).device))
    score = paper_for(cfg).score
    budgets = method.generation_budgets
    results: dict[str, Any] = {}
    for fmt in method.formats:
        prompts = [method.prompt(r, fmt) for r in records]
        settings = replace(cfg.eval, max_new_tokens=budgets.get(fmt, cfg.eval.max_new_tokens))
        texts = generate_texts(
            student, prompts, settings, cfg.student.max_input_tokens, precision, progress
        )
        results[fmt] = {**score(cfg, records, texts, method, fmt), "texts": texts}
    results["primary"] = sum(r["primary"] for r in results.values()) / len(method.formats)
    if rank and cfg.eval.rank_choices and any(r.get("choices") for r in records):
        results[CHOICE_KEY] = choice_scores(student, method, records, cfg, precision)
    return results


def choice_scores(
    student: Student, method: Method, records: list[dict], cfg: ExperimentConfig, precision: str
) -> dict[str, Any]:
    """Accuracy (%) of the most likely choice (evaluate.choices) against the gold label, over the
    records that have choices."""
    kept = [r for r in records if r.get("choices")]
    picks = rank_choices(
        student,
        [method.prompt(r, method.formats[0]) for r in kept],
        [r["choices"] for r in kept],
        cfg.student.max_input_tokens,
        cfg.student.max_target_tokens,
        precision,
        shared_prefix=cfg.eval.rank_shared_prefix,
    )
    correct = [str(r["choices"][k]) == str(r["label"]) for r, k in zip(kept, picks, strict=True)]
    accuracy = 100.0 * sum(correct) / len(correct)
    return {"primary": accuracy, "accuracy": accuracy, "n": len(correct), "correct": correct}


PER_EXAMPLE = ("texts", "correct", "answers", "example_stats")  # kept per example, not in metrics


def strip_lists(scores: dict[str, Any]) -> dict[str, Any]:
    """Scores without per-example lists, for metrics.json."""
    out: dict[str, Any] = {}
    for key, value in scores.items():
        if isinstance(value, dict):
            out[key] = {k: v for k, v in value.items() if k not in PER_EXAMPLE}
        else:
            out[key] = value
    return out


PREDICTIONS_MAX_BYTES = 100_000  # a result record carries its test predictions only below this size


def per_example(records: list[dict], scores: dict[str, Any]) -> dict[str, Any]:
    """Per test example and format: correctness as a '0'/'1' string (for paired comparisons between
    cells on the same examples), a corpus metric's additive statistics where the scorer gives them
    (`stats`: e.g. BLEU's, for the paired bootstrap of a corpus score), and the predictions
    themselves when they are small."""
    ids = [str(r["id"]) for r in records]
    out: dict[str, Any] = {
        "ids": ids,
        "labels": [str(r["label"]) for r in records],
        "correct": {},
        "answers": {},
        "predictions": {},
        "stats": {},
    }
    for key, value in scores.items():
        if isinstance(value, dict) and "correct" in value:
            out["correct"][key] = "".join("1" if c else "0" for c in value["correct"])
        if isinstance(value, dict) and "answers" in value:  # verified numeric answers (math)
            out["answers"][key] = value["answers"]
        if isinstance(value, dict) and "texts" in value:
            out["predictions"][key] = value["texts"]
        if isinstance(value, dict) and "example_stats" in value:
            out["stats"][key] = value["example_stats"]
    if not out["stats"]:
        del out["stats"]
    for key in ("predictions", "labels"):
        if len(json.dumps(out[key])) > PREDICTIONS_MAX_BYTES:
            out[key] = (
                f"not kept: over {PREDICTIONS_MAX_BYTES} bytes (see the cell's predictions.jsonl)"
            )
    return out


def write_predictions(out: Path, records: list[dict], scores: dict[str, Any]) -> None:
    with open(out / "predictions.jsonl", "w") as f:
        for key, value in scores.items():
            if isinstance(value, dict) and "texts" in value:
                for i, (rec, text) in enumerate(zip(records, value["texts"], strict=True)):
                    row = {
                        "id": rec["id"],
                        "format": key,
                        "prediction": text,
                        "label": rec["label"],
                    }
                    if "correct" in value:
                        row["correct"] = value["correct"][i]
                    if "answers" in value:
                        row["answer"] = value["answers"][i]
                    f.write(json.dumps(row) + "\n")
