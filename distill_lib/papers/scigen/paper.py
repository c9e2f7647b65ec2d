"""Table reasoning distillation on SciGen (Yang et al., 2024) as the shared layers see it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from distill_lib.config import ExperimentConfig
from distill_lib.papers.base import Paper
from distill_lib.papers.rationales import run_rationale_stage
from distill_lib.papers.scigen.methods import METHODS
from distill_lib.papers.scigen.metrics import score
from distill_lib.papers.scigen.splits import load_scigen_splits


def teacher_stage(cfg: ExperimentConfig, stage_dir: Path) -> dict[str, Any]:
    """The teacher's (reasoning, statement, verification) triples for the training tables (notebook 10)."""
    return run_rationale_stage(cfg, stage_dir, PAPER, cfg.grid.datasets)


PAPER = Paper(name="scigen", methods=METHODS, load_splits=load_scigen_splits, score=score,
              teacher_stage=teacher_stage, templates={"scigen": "scigen_reasoning"}, one_shot_from_train=True)
