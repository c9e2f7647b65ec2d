"""Run one experiment cell (dataset x method x seed x data fraction) end to end, or a grid of them.

A cell: load records -> load the student -> turn records into training rows with the method -> train with
validation-subset selection -> generate on the test split with the last and the best-validation weights (and on
the full validation split with the best) -> write `metrics.json`, `predictions.jsonl`, the resolved config and
package versions into the cell's run directory. A cell whose metrics.json exists is read back, not rerun, so an
interrupted grid loses at most the cell in progress (and that one resumes from its checkpoint).

Deliberately left out: notebook display and figures (distill_lib.plots).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from accelerate import PartialState
from datasets import DatasetDict

from distill_lib.config import ExperimentConfig, write_run_record
from distill_lib.data.records import DataUnavailable
from distill_lib.data.splits import load_splits
from distill_lib.evaluate.generate import generate_texts
from distill_lib.evaluate.scoring import score_predictions
from distill_lib.methods import Method, build_method
from distill_lib.models.loading import Student, load_student
from distill_lib.train.batching import encode_row
from distill_lib.train.loop import train


def cell_dir(cfg: ExperimentConfig) -> Path:
    frac = f"_frac{cfg.data.train_fraction:g}" if cfg.data.train_fraction < 1.0 else ""
    return cfg.run_dir / "cells" / cfg.data.dataset / cfg.method.name / f"seed{cfg.train.seed}{frac}"


def evaluate_records(student: Student, method: Method, records: list[dict], cfg: ExperimentConfig,
                     progress: bool = False) -> dict[str, Any]:
    """Generate for `records` and score; math methods are scored once per thought format."""
    formats = getattr(method, "formats", (None,))
    results: dict[str, Any] = {}
    for fmt in formats:
        prompts = [method.prompt(r, fmt) if fmt else method.prompt(r) for r in records]
        texts = generate_texts(student.model, student.tokenizer, student.is_seq2seq, prompts,
                               cfg.eval.batch_size, cfg.eval.max_new_tokens, cfg.eval.num_beams,
                               cfg.eval.length_penalty, cfg.student.max_input_tokens,
                               cfg.eval.no_repeat_ngram_size, progress)
        options = {**cfg.extra.get("scoring", {}), "format": fmt}
        scores = score_predictions(cfg.data.dataset, records, texts, method.read_label, options)
        results[fmt or "label"] = {**scores, "texts": texts}
    results["primary"] = sum(r["primary"] for r in results.values()) / len(formats)
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


def _training_texts(method: Method, records: list[dict]) -> list[str]:
    return [t for r in records for row in method.rows(r) for t in (row.source, row.source_b, row.target) if t]


def run_cell(cfg: ExperimentConfig, splits: DatasetDict | None = None, force: bool = False) -> dict[str, Any]:
    """Train and evaluate one cell; returns its metrics (read back if the cell already finished)."""
    out = cell_dir(cfg)
    if (out / "metrics.json").exists() and not force:
        return json.loads((out / "metrics.json").read_text())
    main = PartialState().is_main_process
    if main:
        write_run_record(cfg, out)
    splits = splits if splits is not None else load_splits(cfg)
    method = build_method(cfg.method)
    train_records, valid, test = list(splits["train"]), list(splits["valid"]), list(splits["test"])
    student = load_student(cfg.student, _training_texts(method, train_records))
    tok, s2s = student.tokenizer, student.is_seq2seq
    features = [[encode_row(row, tok, s2s, cfg.student.max_input_tokens, cfg.student.max_target_tokens)
                 for row in method.rows(r)] for r in train_records]
    features = [f for f in features if f]
    subset = valid[: cfg.train.eval_subset]

    def evaluate_subset(model: Any) -> float:
        return evaluate_records(Student(model, tok, s2s, student.name), method, subset, cfg)["primary"]

    model, state = train(student.model, tok, s2s, features, method.weights, evaluate_subset, cfg.train, out)
    student.model = model
    test_last = evaluate_records(student, method, test, cfg, progress=main)
    if state.best_step != state.step:
        student.model = type(model).from_pretrained(out / "best").to(next(model.parameters()).device)
    test_best = test_last if state.best_step == state.step else evaluate_records(student, method, test, cfg, main)
    valid_best = evaluate_records(student, method, valid, cfg, progress=main)
    metrics = {"dataset": cfg.data.dataset, "method": cfg.method.name, "seed": cfg.train.seed,
               "fraction": cfg.data.train_fraction, "student": cfg.student.name, "profile": cfg.profile,
               "n_train": len(features), "n_valid": len(valid), "n_test": len(test),
               "best_step": state.best_step, "last_step": state.step, "valid_at_best": _strip(valid_best),
               "test_at_best": _strip(test_best), "test_at_last": _strip(test_last),
               "history": state.history, "losses": state.losses, "train_wall_s": state.wall_s,
               "train_tokens_per_s": state.tokens / max(state.wall_s, 1e-9)}
    if main:  # under `accelerate launch` every process evaluated; one writes
        _write_predictions(out, test, test_best)
        (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    return metrics


def _write_predictions(out: Path, records: list[dict], scores: dict[str, Any]) -> None:
    with open(out / "predictions.jsonl", "w") as f:
        for key, value in scores.items():
            if isinstance(value, dict) and "texts" in value:
                for i, (rec, text) in enumerate(zip(records, value["texts"], strict=True)):
                    row = {"id": rec["id"], "format": key, "prediction": text, "label": rec["label"]}
                    if "correct" in value:
                        row["correct"] = value["correct"][i]
                    if "answers" in value:
                        row["answer"] = value["answers"][i]
                    f.write(json.dumps(row) + "\n")


def read_predictions(path: str | Path, required: tuple[str, ...] = ("id", "format", "prediction", "label")
                     ) -> list[dict[str, Any]]:
    """Rows of a cell's predictions.jsonl (a cell dir or the file); each must hold the `required` fields."""
    path = Path(path)
    path = path / "predictions.jsonl" if path.is_dir() else path
    if not path.exists():
        raise FileNotFoundError(f"no predictions file at {path}: run the training notebook first")
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    for number, row in enumerate(rows, start=1):
        missing = set(required) - set(row)
        if missing:
            raise ValueError(f"{path}, line {number}: missing field(s) {sorted(missing)}")
    return rows


def grid_cells(cfg: ExperimentConfig) -> list[ExperimentConfig]:
    """Configs of every cell in cfg.grid: datasets x methods x seeds, plus the data-fraction curve."""
    cells = [cfg.replace({"data.dataset": d, "method.name": m, "train.seed": s})
             for d, m, s in itertools.product(cfg.grid.datasets, cfg.grid.methods, cfg.grid.seeds)]
    curve = itertools.product(cfg.grid.fraction_datasets, cfg.grid.fraction_methods, cfg.grid.seeds,
                              cfg.grid.fractions)
    cells += [cfg.replace({"data.dataset": d, "method.name": m, "train.seed": s, "data.train_fraction": p})
              for d, m, s, p in curve if p < 1.0]
    return cells


def run_grid(cfg: ExperimentConfig, log: Any = print) -> list[dict[str, Any]]:
    """Run every cell of the grid; a cell whose data cannot be had is skipped with its reason, said aloud and
    written to `skipped.json` (so tables show it as n/a, never silently)."""
    results = []
    cells = grid_cells(cfg)
    for number, cell in enumerate(cells, start=1):
        where = f"{cell.data.dataset}/{cell.method.name}/seed{cell.train.seed}/frac{cell.data.train_fraction:g}"
        try:
            metrics = run_cell(cell)
        except DataUnavailable as err:
            out = cell_dir(cell)
            if not PartialState().is_main_process:
                continue
            out.mkdir(parents=True, exist_ok=True)
            reason = {"dataset": cell.data.dataset, "method": cell.method.name, "seed": cell.train.seed,
                      "fraction": cell.data.train_fraction, "reason": str(err)}
            (out / "skipped.json").write_text(json.dumps(reason, indent=2))
            log(f"[{number}/{len(cells)}] SKIPPED {where}: {err}")
            continue
        log(f"[{number}/{len(cells)}] {where}: test@best {metrics['test_at_best']['primary']:.2f} "
            f"(step {metrics['best_step']}), test@last {metrics['test_at_last']['primary']:.2f}")
        results.append(metrics)
    return results
