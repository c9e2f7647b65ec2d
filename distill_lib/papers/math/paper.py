"""Math reasoning distillation (EoTD / ETD, Zhu et al., 2024) as the shared layers see it."""

from __future__ import annotations

from distill_lib.papers.base import Paper
from distill_lib.papers.math.methods import METHODS
from distill_lib.papers.math.report import references, summarize
from distill_lib.papers.math.results import render_math
from distill_lib.papers.math.scoring import score
from distill_lib.papers.math.splits import load_math_splits
from distill_lib.papers.math.stage import run_teacher_stage

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
)
