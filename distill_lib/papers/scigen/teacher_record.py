"""The SciGen teacher stage's result record: what the teacher gave, small enough to commit.

`teacher_stats(cfg, dataset, stage_dir)` reads the stage's own outputs (the training tables'
`teacher_outputs.jsonl` / `teacher_summary.json` under `stage_dir/<dataset>/`, the test tables'
under `test/`) and returns per split the tables asked and skipped, the answers, parse failures,
tables with a parsed, a kept (verified, with `method.options.filter_verified`) triple and a
description, the triples and verified triples, the yield (tables with a kept triple per table
asked), the length of the kept reasoning per table in words, and the requests, cache hits, tokens
and wall time; plus the settings that decide them (the model that answered, template and version,
sampling, limits), the teacher row's scores (its text per test table, `extra.teacher_row`, scored
with BLEU and METEOR like the students' predictions, raw and normalised: papers.scigen.report) and,
for a local teacher, the label of papers.scigen.labels.
`write_teacher_record(cfg, dataset, stage_dir)` writes it with
distill_lib.results.write_stage_result as `stages/teacher-<dataset>.json` (real profiles only; None
for smoke).

Deliberately left out: the raw answers and the response cache (they stay in runs/ and cache/; a
rerun on the same machine reads the cache and sends nothing), and scoring the teacher row
(papers.scigen.report).
"""

from __future__ import annotations

import json
from pathlib import Path
from statistics import mean
from typing import Any

from distill_lib.config import ExperimentConfig, project_relative
from distill_lib.papers.scigen.labels import LOCAL_TEACHER, local_teacher
from distill_lib.papers.scigen.report import teacher_scores
from distill_lib.results import write_stage_result
from distill_lib.runs import read_jsonl

ROW_METRICS = ("bleu", "meteor")  # offline metrics of the teacher row kept in the record
SUMMARY_KEYS = ("requests_made", "cached", "prompt_tokens", "completion_tokens", "wall_s")


def _kept(triples: list[dict[str, Any]], verified_only: bool) -> list[dict[str, Any]]:
    return [t for t in triples if t["verified"] or not verified_only]


def split_counts(rows: list[dict[str, Any]], verified_only: bool) -> dict[str, Any]:
    """Counts over one split's teacher rows (one per table asked, `parsed` per sample)."""
    triples = [[t for p in r["parsed"] for t in p["fields"].get("triples", [])] for r in rows]
    kept = [_kept(ts, verified_only) for ts in triples]
    words = [len(" ".join(f"{t['reasoning']} {t['statement']}" for t in k).split()) for k in kept]
    words = [w for w in words if w]
    return {
        "tables": len(rows),
        "answered": sum(bool(r["completions"]) for r in rows),
        "failed": sum(r["status"] == "failed" for r in rows),
        "parse_failures": sum(not p["ok"] for r in rows for p in r["parsed"]),
        "with_triples": sum(bool(ts) for ts in triples),
        "with_kept_triples": sum(bool(k) for k in kept),
        "with_description": sum(
            any(p["fields"].get("description") for p in r["parsed"]) for r in rows
        ),
        "triples": sum(len(ts) for ts in triples),
        "verified_triples": sum(t["verified"] for ts in triples for t in ts),
        "yield": sum(bool(k) for k in kept) / len(rows) if rows else 0.0,
        "reasoning_words": {"mean": mean(words), "max": max(words)} if words else None,
    }


def _split_stats(folder: Path, verified_only: bool) -> dict[str, Any] | None:
    outputs, summary = folder / "teacher_outputs.jsonl", folder / "teacher_summary.json"
    if not outputs.exists() or not summary.exists():
        return None
    run = json.loads(summary.read_text())
    rows = read_jsonl(outputs) if outputs.stat().st_size else []
    counts = split_counts(rows, verified_only)
    skipped = len(run.get("skipped_long_prompts") or [])
    counts["skipped_long_prompts"] = skipped
    counts["yield"] = counts["with_kept_triples"] / max(counts["tables"] + skipped, 1)
    return {**counts, **{k: run.get(k) for k in SUMMARY_KEYS}, "model": run.get("model")}


def settings(cfg: ExperimentConfig, model: str | None) -> dict[str, Any]:
    teacher = cfg.teacher
    return {
        "model": project_relative(model) if model else teacher.model,  # a served dir: repo-relative
        "endpoint": "embedded" if teacher.base_url == "embedded" else "configured",
        "template": teacher.template or "scigen_reasoning",
        "temperature": teacher.temperature,
        "max_tokens": teacher.max_tokens,
        "n": teacher.n,
        "limit": teacher.limit,
        "test_limit": cfg.extra.teacher_test_limit or teacher.limit,
        "max_prompt_tokens": teacher.max_prompt_tokens,
        "filter_verified": cfg.method.options.filter_verified,
        "teacher_row": cfg.extra.teacher_row,
    }


def teacher_stats(cfg: ExperimentConfig, dataset: str, stage_dir: Path) -> dict[str, Any]:
    """The record's payload for one dataset (see the module docstring)."""
    verified_only = cfg.method.options.filter_verified
    splits = {
        "train": _split_stats(stage_dir / dataset, verified_only),
        "test": _split_stats(stage_dir / dataset / "test", verified_only),
    }
    models = [stats.pop("model") for stats in splits.values() if stats]
    stats = {"settings": settings(cfg, models[0] if models else None), **splits}
    one = cfg.replace({"grid.datasets": [dataset]})
    row = teacher_scores(one, {"metrics": list(ROW_METRICS)})
    stats["teacher_row"] = {k: row[k] for k in ("n", "raw", "normalised", "reason") if k in row}
    return {"stats": stats, **({"label": LOCAL_TEACHER} if local_teacher(cfg) else {})}


def write_teacher_record(cfg: ExperimentConfig, dataset: str, stage_dir: Path) -> Path | None:
    """stages/teacher-<dataset>.json in the results tree (None for smoke or a tiny student)."""
    return write_stage_result(cfg, f"teacher-{dataset}", teacher_stats(cfg, dataset, stage_dir))
