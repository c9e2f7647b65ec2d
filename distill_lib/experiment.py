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

import resource
import time
from pathlib import Path
from typing import Any

from accelerate.utils import release_memory
from datasets import DatasetDict

from distill_lib.cell_files import (
    TEST_EXAMPLES,
    finished_metrics,
    saved_test_examples,
    scores_from_predictions,
    tidy_finished,
    tidy_unfinished,
)
from distill_lib.cell_scores import evaluate_records, per_example, strip_lists, write_predictions
from distill_lib.config import ExperimentConfig
from distill_lib.evaluate.budget import generation_budgets
from distill_lib.methods import Method
from distill_lib.models.loading import Student, load_student
from distill_lib.models.precision import resolve_precision
from distill_lib.papers.index import build_method, load_splits, paper_for
from distill_lib.results import records_results, write_result
from distill_lib.runs import cell_dir, cell_key, result_path, write_json, write_run_record
from distill_lib.train.batching import encode_row
from distill_lib.train.checkpoints import CheckpointSetAside, TrainState, verify_saved_model
from distill_lib.train.features import usable_rows
from distill_lib.train.heap import trim_heap
from distill_lib.train.loop import process_state, train


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
        # generation hands its kept heap back after each batch (evaluate.generate), so the next
        # training step does not start above it
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
        trim_heap()  # the optimizer and the activations are gone: the test pass needs far less
    if not test:  # a tuning cell (data.test_limit 0): validation only, test never looked at
        test_last = test_best = {}
    else:
        started = time.time()
        test_last = evaluate_records(student, method, test, cfg, progress=main, rank=True)
        _log_pass(passes, "test at last", len(test), started)
    if state.best_step == state.step or not test:
        test_best = test_last
    else:
        device = next(student.model.parameters()).device
        verify_saved_model(out / "best")  # a corrupt best/ is set aside: the cell starts again
        student.model = type(student.model).from_pretrained(out / "best").to(device)
        started = time.time()
        test_best = evaluate_records(student, method, test, cfg, main, rank=True)
        _log_pass(passes, "test at best", len(test), started)
    if last_subset and len(subset) == len(valid) and state.best_step == state.step:
        return state, test_last, test_best, dict(last_subset)  # that pass scored these weights
    started = time.time()
    valid_best = evaluate_records(student, method, valid, cfg, progress=main)
    _log_pass(passes, "valid (tested weights)", len(valid), started)
    return state, test_last, test_best, valid_best


def _log_pass(passes: list[dict[str, Any]], name: str, examples: int, started: float) -> None:
    seconds = round(time.time() - started, 2)
    passes.append(
        {"pass": name, "examples": examples, "seconds": seconds, "peak_rss_gb": peak_rss_gb()}
    )


def peak_rss_gb() -> float:
    """This process's peak resident memory so far, GB (a grid's cell runs in a process of its own,
    so there it is the cell's peak; in a notebook, the kernel's)."""
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return round(kib * 1024 / 1e9, 2)


def run_cell(
    cfg: ExperimentConfig, splits: DatasetDict | None = None, force: bool = False
) -> dict[str, Any]:
    """Train and evaluate one cell; returns its metrics (read back if the cell already finished).

    A real cell (not smoke, not a tiny student) also writes its result record (runs.result_path),
    before metrics.json; a finished cell whose record is missing writes it from its metrics.json and
    test_examples.json (or, for an older cell, predictions.jsonl). A corrupt metrics.json is set
    aside (named in a warning) and the cell runs again; temporaries left by a killed write are
    removed before it does (distill_lib.cell_files).
    """
    out, main = cell_dir(cfg), process_state().is_main_process
    metrics = None if force else finished_metrics(out, rename=main)
    if metrics is not None:
        if main:
            _complete_finished(cfg, out, metrics)
        return metrics
    if main:
        tidy_unfinished(out, result_path(cfg))
    try:
        return _run_fresh_cell(cfg, splits, out)
    finally:
        # accelerate's wrappers hold the model and optimizer in reference cycles: without a
        # collection here, a grid process keeps every finished cell's weights and optimizer state
        release_memory()
        trim_heap()


def _complete_finished(cfg: ExperimentConfig, out: Path, metrics: dict[str, Any]) -> None:
    """A finished cell's loose ends after a kill: its checkpoint, and its missing result record
    (written from metrics.json and test_examples.json, or predictions.jsonl)."""
    tidy_finished(out)
    if records_results(cfg) and not result_path(cfg).exists():
        examples = saved_test_examples(out)
        if examples is None and (rebuilt := scores_from_predictions(out)) is not None:
            examples = per_example(*rebuilt)  # a cell finished before test_examples.json
        write_result(cfg, metrics, metrics.get("precision", "unknown"), examples)


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
        "valid_at_best": strip_lists(valid_best),
        "test_at_best": strip_lists(test_best),
        "test_at_last": strip_lists(test_last),
        "history": state.history,
        "losses": state.losses,
        "train_wall_s": state.wall_s,
        "train_tokens_per_s": state.tokens / max(state.wall_s, 1e-9),
        "cell_wall_s": time.time() - started,
        "load_s": load_s,
        "selection": cfg.train.select,
        "passes": passes,
        "peak_rss_gb": peak_rss_gb(),  # each pass says the peak so far, where it was reached
        "generation_budgets": method.generation_budgets,
        "precision": precision,
        "formats": list(method.formats),
        "absent_formats": list(method.absent_formats),
        "dropped_empty_targets": method.dropped_rows,
        "summary": _summary(cfg, test, test_best),
    }
    if main:  # under `accelerate launch` every process evaluated; one writes
        write_predictions(out, test, test_best)
        write_json(out / TEST_EXAMPLES, per_example(test, test_best))
        if records_results(cfg):  # before metrics.json, which marks the cell finished
            write_result(cfg, metrics, precision, saved_test_examples(out))
        write_json(out / "metrics.json", metrics)
        tidy_finished(out)  # the checkpoint is only for resuming; `best/` stays
    return metrics


def _summary(cfg: ExperimentConfig, test: list[dict], scores: dict[str, Any]) -> dict[str, Any]:
    summarize = paper_for(cfg).summarize
    return summarize(test, scores) if summarize and test else {}
