"""One entry point from an experiment config to its train / valid / test records, whatever the paper.

`load_splits(cfg)` dispatches on `cfg.data.dataset` (DSS datasets, math benchmarks, SciGen), applies the
configured row limits (first N rows, after split construction) and, when `cfg.teacher.source == "live"`,
replaces the released rationales of the training split with the teacher stage's outputs.

Deliberately left out: the per-dataset file formats (their loaders) and tokenization.
"""

from __future__ import annotations

from pathlib import Path

from datasets import Dataset, DatasetDict, load_from_disk

from distill_lib.config import ExperimentConfig
from distill_lib.data.dss import DSS_DATASETS, load_dss
from distill_lib.data.records import DataUnavailable
from distill_lib.runs import teacher_dir


def _limit(split: Dataset, limit: int | None) -> Dataset:
    return split.select(range(min(limit, len(split)))) if limit else split


def teacher_dataset_dir(cfg: ExperimentConfig, dataset: str, split: str = "train") -> Path:
    """Where the teacher stage writes its records for one dataset/split (read back by training)."""
    return teacher_dir(cfg, dataset, split)


def attach_teacher_outputs(split: Dataset, teacher_dir: Path) -> Dataset:
    """Replace rationale / llm_label / source by the live teacher's, joined on `id`; missing ids get ''."""
    if not teacher_dir.exists():
        raise DataUnavailable(f"teacher.source is 'live' but no teacher outputs at {teacher_dir}: run the "
                              "rationale notebook (02) first")
    outputs = {row["id"]: row for row in load_from_disk(str(teacher_dir))}

    def replace(record: dict) -> dict:
        row = outputs.get(record["id"], {})
        return {"rationale": row.get("rationale", ""), "llm_label": row.get("llm_label", ""),
                "source": row.get("source", "teacher-missing")}

    return split.map(replace)


def load_splits(cfg: ExperimentConfig) -> DatasetDict:
    """train / valid / test records for cfg.data.dataset, limited as configured."""
    name = cfg.data.dataset
    if name in DSS_DATASETS:
        splits = load_dss(name, cfg.data.data_dir, cfg.data.train_fraction, cfg.train.seed)
    elif name.startswith("scigen"):
        from distill_lib.data.scigen_splits import load_scigen_splits

        splits = load_scigen_splits(cfg)
    else:
        from distill_lib.data.math_splits import load_math_splits

        splits = load_math_splits(cfg)
    train_limit = cfg.data.train_limit  # the cap at fraction 1.0: a data-efficiency curve keeps its shape
    if train_limit and cfg.data.train_fraction < 1.0:
        train_limit = max(1, round(train_limit * cfg.data.train_fraction))
    limits = {"train": train_limit, "valid": cfg.data.valid_limit, "test": cfg.data.test_limit}
    splits = DatasetDict({k: _limit(v, limits.get(k)) for k, v in splits.items()})
    if cfg.teacher.source == "live" and name.startswith("scigen"):  # several triples per table, filtered
        from distill_lib.data.scigen_splits import attach_scigen_teacher

        splits["train"] = attach_scigen_teacher(splits["train"], teacher_dataset_dir(cfg, name), cfg.method.options)
    elif cfg.teacher.source == "live" and name in DSS_DATASETS:  # math builds its own verified teacher data
        splits["train"] = attach_teacher_outputs(splits["train"], teacher_dataset_dir(cfg, name))
    return splits
