"""Distilling step-by-step (Hsieh et al., 2023) as the shared layers see it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from distill_lib.config import ExperimentConfig
from distill_lib.fingerprint import live_teacher_outputs
from distill_lib.papers.base import Paper
from distill_lib.papers.dss.data import DSS_DATASETS, load_splits
from distill_lib.papers.dss.methods import METHODS
from distill_lib.papers.dss.report import references, render_dss
from distill_lib.papers.dss.scoring import score
from distill_lib.papers.rationales import run_rationale_stage


def teacher_stage(cfg: ExperimentConfig, stage_dir: Path) -> dict[str, Any]:
    """The released PaLM rationales per dataset, or a live teacher's (notebook 02)."""
    datasets = cfg.extra.teacher_datasets or cfg.grid.datasets
    return run_rationale_stage(cfg, stage_dir, PAPER, datasets, cfg.extra.teacher_preview)


def data_sources(cfg: ExperimentConfig, root: Path | None) -> list[Path]:
    """<data dir>/dss/<dataset>/ (inputs, labels, the released PaLM outputs) and the live
    teacher's outputs when used."""
    return ([root / "dss" / cfg.data.dataset] if root else []) + live_teacher_outputs(cfg)


PAPER = Paper(
    name="dss",
    methods=METHODS,
    load_splits=load_splits,
    score=score,
    teacher_stage=teacher_stage,
    render=render_dss,
    references=references,
    templates={name: name for name in DSS_DATASETS},
    data_sources=data_sources,
)
