"""Run one experiment cell (dataset x method x seed x data fraction) end to end.

A cell: load records -> load the student -> turn records into training rows with the method -> train
(validation on a fixed subset) -> generate on the test split with the last weights (and the
best-validation weights under `train.select: best`), each format within its new-token budget
(distill_lib.evaluate.budget) -> score the validation split at the tested weights (reusing the last
subset pass when it covered the split) -> write `metrics.json` (with each pass's time),
`predictions.jsonl`, the resolved config and package versions into the cell's run directory. A cell
whose metrics.json exists is read back, not rerun, so an interrupted grid loses at most the cell in
progress (and that one resumes from its checkpoint).

Deliberately left out: the order of a grid's cells and skipping (distill_lib.grid), notebook
display and figures (distill_lib.plots).
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from accelerate.utils import release_memory
from datasets import DatasetDict

from distill_lib.config import ExperimentConfig
from distill_lib.evaluate.budget import generation_budgets
from distill_lib.evaluate.generate import generate_texts
from distill_lib.methods import Method
from distill_lib.models.loading import Student, load_student
from distill_lib.models.precision import resolve_precision
from distill_lib.papers.index import build_method, load_splits, paper_for
from distill_lib.results import records_results, write_result
from distill_lib.runs import cell_dir, cell_key, write_json, write_run_record
from distill_lib.train.batching import encode_row
from distill_lib.train.checkpoints import CheckpointSetAside, TrainState
from distill_lib.train.features import usable_rows
from distill_lib.train.loop import process_state, train


def evaluate_records(
    student: Student,
    method: Method,
    records: list[dict],
    cfg: ExperimentConfig,
    progress: bool = False,
) -> dict[str, Any]:
    """Generate for `records` once per format the method is tested on, and score with the paper's
    scorer; `primary` is the mean over the formats."""
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
    return results


def _strip(scores: dict[str, Any]) -> dict[str, Any]:
    """Scores without per-example lists, for metrics.json."""
    out: dict[str, Any] = {}
    for key, value in scores.items():
        if isinstance(value, dict):
            out[key] = {k: v for k, v in value.items() if k not in ("texts", "correct", "answers")}
        else:
            out[key] = value
    return out


def _prepare(
    cfg: ExperimentConfig, splits: DatasetDict | None
) -> tuple[Method, Student, list, list, list]:
    """The method, the student, the train features (rows with an empty target dropped, counted per
    task in `method.dropped_rows`), and the valid and test records of one cell."""
    splits = splits if splits is not None else load_splits(cfg)
    train_records, valid, test = list(splits["train"]), list(splits["valid"]), list(splits["test"])
    method = build_method(cfg.method).fitted_to(train_records)
    rows, method.dropped_rows = usable_rows(method, train_records)
    student = load_student(
        cfg.student,
        [t for r in rows for row in r for t in (row.source, row.source_b, row.target) if t],
    )
    tok, s2s = student.tokenizer, student.is_seq2seq
    method.generation_budgets = generation_budgets(
        method, train_records, tok, cfg.eval.max_new_tokens
    )
    features = [
        [
            encode_row(row, tok, s2s, cfg.student.max_input_tokens, cfg.student.max_target_tokens)
            for row in record_rows
        ]
        for record_rows in rows
    ]
    return method, student, features, valid, test


def _train_and_test(
    cfg: ExperimentConfig,
    method: Method,
    student: Student,
    features: list,
    valid: list,
    test: list,
    out: Path,
    main: bool,
    passes: list[dict[str, Any]],
) -> tuple[TrainState, dict, dict, dict]:
    """Train (validation on a fixed subset every eval_every steps); score test at the last step,
    and at the best validation step too when `train.select` is 'best' and it differs; score the
    whole validation split at the tested weights unless the last subset pass already covered it.
    Every evaluation pass is timed into `passes`."""
    tok, s2s = student.tokenizer, student.is_seq2seq
    subset = valid[: cfg.train.eval_subset]
    last_subset: dict[str, Any] = {}

    def evaluate_subset(model: Any) -> float:
        started = time.time()
        scores = evaluate_records(Student(model, tok, s2s, student.name), method, subset, cfg)
        _log_pass(passes, "valid subset (training)", len(subset), started)
        last_subset.clear()
        last_subset.update(scores)
        return scores["primary"]

    if cfg.train.max_steps == 0:  # the untrained student: the table's step-0 row
        state = TrainState(best_step=0)
        student.model.to(process_state().device)
    else:
        student.model, state = train(
            student.model, tok, s2s, features, method.weights, evaluate_subset, cfg.train, out
        )
    started = time.time()
    test_last = evaluate_records(student, method, test, cfg, progress=main)
    _log_pass(passes, "test at last", len(test), started)
    if state.best_step == state.step:
        test_best = test_last
    else:
        device = next(student.model.parameters()).device
        student.model = type(student.model).from_pretrained(out / "best").to(device)
        started = time.time()
        test_best = evaluate_records(student, method, test, cfg, main)
        _log_pass(passes, "test at best", len(test), started)
    if last_subset and len(subset) == len(valid) and state.best_step == state.step:
        return state, test_last, test_best, dict(last_subset)  # that pass scored these weights
    started = time.time()
    valid_best = evaluate_records(student, method, valid, cfg, progress=main)
    _log_pass(passes, "valid (tested weights)", len(valid), started)
    return state, test_last, test_best, valid_best


def _log_pass(passes: list[dict[str, Any]], name: str, examples: int, started: float) -> None:
    passes.append({"pass": name, "examples": examples, "seconds": round(time.time() - started, 2)})


def run_cell(
    cfg: ExperimentConfig, splits: DatasetDict | None = None, force: bool = False
) -> dict[str, Any]:
    """Train and evaluate one cell; returns its metrics (read back if the cell already finished).

    A real cell (not smoke, not a tiny student) also writes its result record under results/
    (runs.result_path).
    """
    out = cell_dir(cfg)
    if (out / "metrics.json").exists() and not force:
        return json.loads((out / "metrics.json").read_text())
    try:
        return _run_fresh_cell(cfg, splits, out)
    finally:
        # accelerate's wrappers hold the model and optimizer in reference cycles: without a
        # collection here, a grid process keeps every finished cell's weights and optimizer state
        release_memory()


def _run_fresh_cell(cfg: ExperimentConfig, splits: DatasetDict | None, out: Path) -> dict[str, Any]:
    """run_cell's work for a cell not finished yet."""
    main = process_state().is_main_process
    if main:
        write_run_record(cfg, out)
    started = time.time()
    method, student, features, valid, test = _prepare(cfg, splits)
    load_s, passes = time.time() - started, []
    try:
        state, test_last, test_best, valid_best = _train_and_test(
            cfg, method, student, features, valid, test, out, main, passes
        )
    # a checkpoint could not be used: start the cell again from fresh weights
    except CheckpointSetAside as err:
        print(f"{cell_key(cfg)}: {err}")
        method, student, features, valid, test = _prepare(cfg, splits)
        passes.clear()
        state, test_last, test_best, valid_best = _train_and_test(
            cfg, method, student, features, valid, test, out, main, passes
        )
    precision = resolve_precision(cfg.train.precision, str(next(student.model.parameters()).device))
    metrics = {
        "cell": cell_key(cfg),
        "dataset": cfg.data.dataset,
        "method": cfg.method.name,
        "label_source": cfg.method.label_source,
        "seed": cfg.train.seed,
        "fraction": cfg.data.train_fraction,
        "student": cfg.student.name,
        "profile": cfg.profile,
        "student_params": sum(p.numel() for p in student.model.parameters()),
        "untrained": cfg.train.max_steps == 0,
        "n_train": len(features),
        "n_valid": len(valid),
        "n_test": len(test),
        "best_step": state.best_step,
        "last_step": state.step,
        "valid_at_best": _strip(valid_best),
        "test_at_best": _strip(test_best),
        "test_at_last": _strip(test_last),
        "history": state.history,
        "losses": state.losses,
        "train_wall_s": state.wall_s,
        "train_tokens_per_s": state.tokens / max(state.wall_s, 1e-9),
        "cell_wall_s": time.time() - started,
        "load_s": load_s,
        "selection": cfg.train.select,
        "passes": passes,
        "generation_budgets": method.generation_budgets,
        "precision": precision,
        "formats": list(method.formats),
        "absent_formats": list(method.absent_formats),
        "dropped_empty_targets": method.dropped_rows,
        "summary": _summary(cfg, test, test_best),
    }
    if main:  # under `accelerate launch` every process evaluated; one writes
        _write_predictions(out, test, test_best)
        write_json(out / "metrics.json", metrics)
        shutil.rmtree(out / "checkpoint", ignore_errors=True)  # only for resuming; `best/` stays
        if records_results(cfg):
            write_result(cfg, metrics, precision, _per_example(test, test_best))
    return metrics


def _summary(cfg: ExperimentConfig, test: list[dict], scores: dict[str, Any]) -> dict[str, Any]:
    summarize = paper_for(cfg).summarize
    return summarize(test, scores) if summarize else {}


PREDICTIONS_MAX_BYTES = 100_000  # a result record carries its test predictions only below this size


def _per_example(records: list[dict], scores: dict[str, Any]) -> dict[str, Any]:
    """Per test example and format: correctness as a '0'/'1' string (for paired comparisons between
    cells on the same examples), and the predictions themselves when they are small."""
    ids = [str(r["id"]) for r in records]
    out: dict[str, Any] = {
        "ids": ids,
        "labels": [str(r["label"]) for r in records],
        "correct": {},
        "answers": {},
        "predictions": {},
    }
    for key, value in scores.items():
        if isinstance(value, dict) and "correct" in value:
            out["correct"][key] = "".join("1" if c else "0" for c in value["correct"])
        if isinstance(value, dict) and "answers" in value:  # verified numeric answers (math)
            out["answers"][key] = value["answers"]
        if isinstance(value, dict) and "texts" in value:
            out["predictions"][key] = value["texts"]
    for key in ("predictions", "labels"):
        if len(json.dumps(out[key])) > PREDICTIONS_MAX_BYTES:
            out[key] = (
                f"not kept: over {PREDICTIONS_MAX_BYTES} bytes (see the cell's predictions.jsonl)"
            )
    return out


def _write_predictions(out: Path, records: list[dict], scores: dict[str, Any]) -> None:
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
