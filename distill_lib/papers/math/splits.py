"""Math thought distillation (EoTD / ETD) splits: verified teacher thoughts for training, benchmarks
for test.

`cfg.data.dataset` names the *training question pool* (one model per method, evaluated on every
benchmark):
  - `math-gsm8k`: GSM8K train questions (offline: the released gemini-2.5-flash + gpt-4.1 programs,
    PoT only, written *with the gold solution in view*);
  - `math-reft`: the ReFT pool (MAWPS + ASDiv-A, 3,076 questions) with its released gpt-3.5-turbo
    CoT and programs.
The teacher stage (papers.math.stage) verifies and saves the pool's thoughts;
`load_math_splits(cfg)` reads them (a DataUnavailable names the stage when they are missing or built
with other settings): train = the saved thoughts (all formats, `format` column), ordered by question
so that a row limit keeps every format; valid = one record per held-out question
(`data.options.valid_fraction` of the pool's questions with a verified thought, drawn with
`data.options.split_seed`); test = the benchmarks in `extra.eval_datasets` (default: the pool's
own), ids `<benchmark>/<id>`, interleaved round-robin so that `data.test_limit` (a total) splits
evenly.

Deliberately left out: building the teacher data (papers.math.stage), student inputs
(papers.math.methods) and scoring (papers.math.scoring).
"""

from __future__ import annotations

import json
import random
from itertools import zip_longest
from pathlib import Path
from typing import Any

from datasets import Dataset, DatasetDict, load_from_disk

from distill_lib.config import ExperimentConfig
from distill_lib.data.records import DataUnavailable, StageMissing
from distill_lib.papers.math.data import load_math_benchmark
from distill_lib.papers.math.methods import METHOD_FORMATS
from distill_lib.runs import teacher_dir

FORMATS = ("cot", "pot", "eot")
POOLS = {"math-gsm8k": "gsm8k", "math-reft": "svamp"}  # training pool -> its default eval benchmark
COLUMNS = (
    "id",
    "question_id",
    "input",
    "label",
    "answer",
    "rationale",
    "llm_label",
    "format",
    "source",
)
NOTES = {
    "math-gsm8k": "released programs are gold-conditioned (the teacher saw the gold solution); "
    "EoT derived from them",
    "math-reft": "released gpt-3.5-turbo CoT/PoT kept upstream only when correct; "
    "EoT derived from the programs",
}


def pool(cfg: ExperimentConfig) -> str:
    if cfg.data.dataset not in POOLS:
        raise ValueError(
            f"math data.dataset '{cfg.data.dataset}': choose a training pool from {sorted(POOLS)}"
        )
    return cfg.data.dataset


def teacher_data_dir(cfg: ExperimentConfig) -> Path:
    return teacher_dir(cfg, "math") / cfg.data.dataset


def eval_datasets(cfg: ExperimentConfig) -> list[str]:
    """The benchmarks every cell is tested on: extra.eval_datasets, else the pool's own
    benchmark.
    """
    return list(cfg.extra.eval_datasets or [POOLS[pool(cfg)]])


def teacher_settings(cfg: ExperimentConfig) -> dict[str, Any]:
    """What the saved teacher data depends on; a mismatch means the stage must build it again."""
    settings = {
        "pool": cfg.data.dataset,
        "source": cfg.teacher.source,
        "limit": cfg.teacher.limit,
        "formats": list(cfg.data.options.formats),
        "decontaminated_against": sorted(eval_datasets(cfg)),
    }
    if cfg.teacher.source == "live":
        settings.update(
            model=cfg.teacher.model, n=cfg.teacher.n, temperature=cfg.teacher.temperature
        )
    return settings


def _question_record(row: dict[str, Any], benchmark: str | None = None) -> dict[str, Any]:
    qid = row.get("question_id", row["id"])
    return {
        "id": f"{benchmark}/{qid}" if benchmark else qid,
        "benchmark": benchmark or "valid",
        "input": row["input"],
        "label": row["label"],
        "answer": float(row["answer"]),
        "rationale": "",
        "llm_label": "",
        "format": "label",
        "source": "gold",
    }


def split_questions(data: Dataset, fraction: float, seed: int) -> tuple[Dataset, Dataset]:
    """(train rows, one valid record per held-out question): round(fraction * questions) ids, at
    least 1."""
    questions = list(dict.fromkeys(data["question_id"]))
    if not questions:
        raise DataUnavailable(
            "no verified teacher thoughts: nothing to train on (see the teacher stats)"
        )
    held = set(random.Random(seed).sample(questions, max(1, round(fraction * len(questions)))))
    train = data.filter(lambda qid: qid not in held, input_columns="question_id")
    first = {}
    for row in data:
        if row["question_id"] in held:
            first.setdefault(row["question_id"], _question_record(row))
    return train, Dataset.from_list(list(first.values()))


def load_test(cfg: ExperimentConfig) -> Dataset:
    """The eval benchmarks' records interleaved round-robin (ids `<benchmark>/<id>`, column
    `benchmark`)."""
    per_benchmark = [
        [_question_record(r, name) for r in load_math_benchmark(name, None, cfg.data.data_dir)]
        for name in eval_datasets(cfg)
    ]
    return Dataset.from_list(
        [r for group in zip_longest(*per_benchmark) for r in group if r is not None]
    )


def _check_method_formats(cfg: ExperimentConfig, train: Dataset) -> None:
    wanted = cfg.method.options.formats or METHOD_FORMATS.get(cfg.method.name, ())
    if wanted and not set(wanted) & set(train["format"]):
        raise DataUnavailable(
            f"method {cfg.method.name} needs {list(wanted)} thoughts, but the {cfg.data.dataset} "
            f"teacher data has only {sorted(set(train['format']))} ({cfg.teacher.source})"
        )


def saved_teacher_data(cfg: ExperimentConfig) -> tuple[Dataset, dict[str, Any]] | None:
    """The verified teacher data the teacher stage saved for cfg's pool, when its settings match
    cfg."""
    out = teacher_data_dir(cfg)
    if (out / "stats.json").exists() and (out / "train").exists():
        stats = json.loads((out / "stats.json").read_text())
        if stats.get("settings") == teacher_settings(cfg):
            return load_from_disk(str(out / "train")), stats
    return None


def load_math_splits(cfg: ExperimentConfig) -> DatasetDict:
    """train / valid / test for a math pool, read from the teacher stage's saved data (row limits
    are applied by the shared loader)."""
    if cfg.data.train_fraction < 1.0:
        raise ValueError(
            "data.train_fraction < 1 is not supported for math pools; use data.train_limit"
        )
    pool(cfg)  # a benchmark name is not a training pool: say so before looking for its teacher data
    saved = saved_teacher_data(cfg)
    if saved is None:
        raise StageMissing(
            f"no verified teacher data for {cfg.data.dataset} with these settings at "
            f"{teacher_data_dir(cfg)}: run "
            "the teacher stage first (notebooks/06_math_teacher_data.ipynb, or python -m "
            "distill_lib.cli teacher "
            f"--config configs/math.yaml --profile {cfg.profile})"
        )
    train, valid = split_questions(
        saved[0], cfg.data.options.valid_fraction, cfg.data.options.split_seed
    )
    _check_method_formats(cfg, train)
    return DatasetDict({"train": train, "valid": valid, "test": load_test(cfg)})
