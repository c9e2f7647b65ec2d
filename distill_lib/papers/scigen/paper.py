"""Table reasoning distillation on SciGen (Yang et al., 2024) as the shared layers see it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from distill_lib.config import ExperimentConfig
from distill_lib.fingerprint import live_teacher_outputs
from distill_lib.papers.base import Paper
from distill_lib.papers.rationales import run_rationale_stage
from distill_lib.papers.scigen.data import local_path
from distill_lib.papers.scigen.methods import METHODS, reads_teacher
from distill_lib.papers.scigen.metrics import score
from distill_lib.papers.scigen.results import render_scigen
from distill_lib.papers.scigen.splits import load_scigen_splits
from distill_lib.papers.scigen.teacher import teacher_on_test
from distill_lib.papers.scigen.teacher_record import write_teacher_record
from distill_lib.runs import results_dir, teacher_dir, write_json
from distill_lib.teacher.bundle import seed_cache, write_bundle
from distill_lib.teacher.generate import open_cache

BUNDLE = "teacher-cache.jsonl.gz"  # the teacher's answers, beside the stage's record


def teacher_stage(cfg: ExperimentConfig, stage_dir: Path) -> dict[str, Any]:
    """The teacher's (reasoning, statement, verification) triples for the training tables, which the
    students learn from, and for the test tables, which only the teacher row of the results table
    scores (notebook 10); for a real profile, the stage's record (counts, yield, settings) in the
    results tree (papers.scigen.teacher_record). The teacher's answers committed beside that record
    (teacher.bundle) seed the response cache first, so a rerun elsewhere asks only for what they
    lack; a real profile writes them back when the stage ends."""
    cache, template = open_cache(cfg.teacher), cfg.teacher.template or PAPER.templates["scigen"]
    seeded = seed_cache(cache, results_dir(cfg.name, cfg.profile) / "stages" / BUNDLE)
    if seeded:
        print(f"teacher: {seeded} answers from the committed {BUNDLE}")
    reports = run_rationale_stage(cfg, stage_dir, PAPER, cfg.grid.datasets)
    for dataset in cfg.grid.datasets:
        reports[f"{dataset}/test"] = teacher_on_test(cfg, dataset)
        record = write_teacher_record(cfg, dataset, stage_dir)
        if record is not None:
            print(f"{dataset}: teacher stage record {record}")
            write_bundle(cache, record.parent / BUNDLE, template)
    write_json(
        stage_dir / "metrics.json",
        {k: {n: v for n, v in r.items() if n != "shown"} for k, r in reports.items()},
    )
    return reports


def data_sources(cfg: ExperimentConfig, root: Path | None) -> list[Path]:
    """The train, dev and test files below <data dir>/scigen/, and the live teacher's outputs for
    a method that reads them (its raw answers too when it reads them as free text)."""
    options = cfg.data.options
    splits = ("train", "dev", options.test_split)
    files = [local_path(split, options.size, root) for split in splits] if root else []
    teacher = live_teacher_outputs(cfg) if reads_teacher(cfg.method.name) else []
    if teacher and cfg.method.options.reasoning == "free_text":
        teacher.append(teacher_dir(cfg, cfg.data.dataset) / "teacher_outputs.jsonl")
    return [*files, *teacher]


PAPER = Paper(
    name="scigen",
    methods=METHODS,
    load_splits=load_scigen_splits,
    score=score,
    teacher_stage=teacher_stage,
    templates={"scigen": "scigen_reasoning"},
    render=render_scigen,
    data_sources=data_sources,
)
