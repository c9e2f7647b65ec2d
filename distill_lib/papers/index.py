"""The papers by experiment name (`cfg.name`), a plain dict, and the three calls the shared pipeline
makes through it: the cell's paper, its method, its splits (with the configured row limits); and
`run_teacher_for`, the teacher stage a config's cells read their teacher outputs from.

Deliberately left out: anything a paper does itself (see distill_lib.papers.base.Paper).
"""

from __future__ import annotations

from typing import Any

from distill_lib.config import ExperimentConfig
from distill_lib.config_sections import MethodConfig
from distill_lib.data.records import limit_splits
from distill_lib.methods import Method
from distill_lib.papers.base import Paper
from distill_lib.papers.dss.paper import PAPER as DSS
from distill_lib.papers.math.paper import PAPER as MATH
from distill_lib.papers.scigen.paper import PAPER as SCIGEN

PAPERS: dict[str, Paper] = {"dss": DSS, "math": MATH, "scigen": SCIGEN}
METHOD_PAPER: dict[str, Paper] = {
    name: paper for paper in PAPERS.values() for name in paper.methods
}


def paper_for(cfg: ExperimentConfig) -> Paper:
    """The paper of an experiment config (by `cfg.name`)."""
    if cfg.name not in PAPERS:
        raise KeyError(f"experiment '{cfg.name}' names no paper; known: {sorted(PAPERS)}")
    return PAPERS[cfg.name]


def build_method(cfg: MethodConfig) -> Method:
    """The method named by cfg.name, from whichever paper defines it (method names are unique)."""
    if cfg.name not in METHOD_PAPER:
        raise KeyError(f"unknown method '{cfg.name}'; known: {sorted(METHOD_PAPER)}")
    paper = METHOD_PAPER[cfg.name]
    # built by hand, not by load_config: type the options as the loader would
    if isinstance(cfg.options, dict):
        from distill_lib.config import typed_section

        cfg = typed_section(cfg, paper.name)
    return paper.methods[cfg.name](cfg)


def load_splits(cfg: ExperimentConfig) -> Any:
    """train / valid / test records of the cell's dataset, limited as configured (data.*_limit)."""
    return limit_splits(paper_for(cfg).load_splits(cfg), cfg.data)


def run_teacher_for(config: str, profile: str, overrides: dict[str, Any]) -> None:
    """The teacher stage of `config`'s `profile` with `overrides`, in its stage folder under the
    run root (distill_lib.runs.open_stage)."""
    from distill_lib.runs import open_stage

    cfg, stage_dir = open_stage(config, profile, overrides, stage="teacher")
    paper_for(cfg).teacher_stage(cfg, stage_dir)
