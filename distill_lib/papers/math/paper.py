"""Math reasoning distillation (EoTD / ETD, Zhu et al., 2024) as the shared layers see it."""

from __future__ import annotations

from pathlib import Path

from distill_lib.config import ExperimentConfig
from distill_lib.papers.base import Paper
from distill_lib.papers.math.methods import METHODS
from distill_lib.papers.math.report import references, summarize
from distill_lib.papers.math.results import render_math
from distill_lib.papers.math.scoring import score
from distill_lib.papers.math.splits import eval_datasets, load_math_splits, teacher_data_dir
from distill_lib.papers.math.stage import run_teacher_stage


def data_sources(cfg: ExperimentConfig, root: Path | None) -> list[Path]:
    """The teacher stage's verified data for the pool and <data dir>/<benchmark>/ of every test
    benchmark."""
    try:
        benchmarks = eval_datasets(cfg)
    except ValueError:  # not a training pool: the cell says so when it runs
        benchmarks = []
    folders = [root / name for name in benchmarks] if root else []
    return [teacher_data_dir(cfg) / "train", *folders]


PAPER = Paper(
    name="math",
    methods=METHODS,
    load_splits=load_math_splits,
    score=score,
    teacher_stage=run_teacher_stage,
    references=references,
    summarize=summarize,
    render=render_math,
    templates={"cot": "math_cot", "pot": "math_pot", "eot": "math_eot"},
    data_sources=data_sources,
)
