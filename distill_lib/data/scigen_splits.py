"""SciGen train / valid / test splits for an experiment config, and the teacher's reasoning joined per table.

`load_scigen_splits(cfg)` builds a DatasetDict from distill_lib.data.scigen:
  train = `{size}` train (few-shot from the shared data; medium/large via the hub or a local file),
  valid = `{size}` dev (never test: the reference's dev targets overlap test, spec §2.7),
  test  = test-CL + test-Other, or one of them (`data.options.test_split`: test | test-CL | test-Other).
Options (`cfg.data.options`): `size` (few-shot | medium | large, default few-shot), `test_split` (default test).

The teacher (distill_lib.teacher, template scigen_reasoning) returns up to 2 (reasoning, statement,
verification) triples per table; the teacher stage saves one row per triple with ids `<table id>` (triple 1),
`<table id>-t1` (triple 2), and `-<sample>` before that when teacher.n > 1. `attach_scigen_teacher` joins them
back to one record per table:
  rationale = "<reasoning 1> <statement 1> <reasoning 2> <statement 2>" over the triples kept, in order;
  llm_label = the kept statements joined by spaces; teacher_triples = how many were kept.
Kept = every parsed triple, or (`method.options.filter_verified`, default true) only those whose own
verification line says true (the teacher's self-verification, spec §2.7). Tables the teacher did not see (beyond
teacher.limit, or test/dev: the stage sends train only) get rationale '', so `scigen_reasoning_input` then sees
the plain table, i.e. it degenerates to `scigen_plain` for them.

Deliberately left out: the per-triple training pairs of the reference (table <COT> reasoning -> teacher
statement); here the target stays the gold description, with the teacher's reasoning as extra input or output.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from datasets import Dataset, DatasetDict, load_from_disk

from distill_lib.config import ExperimentConfig
from distill_lib.data.records import DataUnavailable
from distill_lib.data.scigen import SIZES, load_scigen

TEST_SPLITS = ("test", "test-CL", "test-Other")
KNOWN_OPTIONS = {"size", "test_split"}


def _options(cfg: ExperimentConfig) -> tuple[str, str]:
    options = cfg.data.options or {}
    unknown = sorted(set(options) - KNOWN_OPTIONS)
    if unknown:
        raise ValueError(f"data.options: unknown SciGen option(s) {unknown}; known: {sorted(KNOWN_OPTIONS)}")
    size, test_split = options.get("size", "few-shot"), options.get("test_split", "test")
    if size not in SIZES:
        raise ValueError(f"data.options.size '{size}': choose from {SIZES}")
    if test_split not in TEST_SPLITS:
        raise ValueError(f"data.options.test_split '{test_split}': choose from {TEST_SPLITS}")
    return size, test_split


def load_scigen_splits(cfg: ExperimentConfig) -> DatasetDict:
    """train / valid / test SciGen records for cfg (limits and the teacher join are applied by load_splits)."""
    if cfg.data.train_fraction < 1.0:
        raise ValueError("data.train_fraction < 1 is not supported for SciGen; use data.train_limit")
    size, test_split = _options(cfg)
    return DatasetDict({"train": load_scigen("train", cfg.data.data_dir, size),
                        "valid": load_scigen("dev", cfg.data.data_dir, size),
                        "test": load_scigen(test_split, cfg.data.data_dir, size)})


def table_id(teacher_id: str, known: set[str]) -> str | None:
    """The table id a teacher row belongs to ('train-5-t1' -> 'train-5'), or None when no known id matches."""
    candidate = teacher_id
    while candidate not in known and "-" in candidate:
        candidate = candidate.rsplit("-", 1)[0]
    return candidate if candidate in known else None


def aggregate_triples(rows: list[dict[str, Any]], known: set[str], filter_verified: bool = True
                      ) -> dict[str, dict[str, Any]]:
    """Teacher rows (one per triple) -> {table id: {rationale, llm_label, source, teacher_triples}}."""
    kept: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        table = table_id(str(row["id"]), known)
        if table is None or not row.get("llm_label", "").strip():
            continue
        if filter_verified and not row.get("parse_ok", False):
            continue
        kept[table].append(row)
    out = {}
    for table, triples in kept.items():
        rationale = " ".join(f"{t['rationale'].strip()} {t['llm_label'].strip()}".strip() for t in triples)
        out[table] = {"rationale": rationale, "llm_label": " ".join(t["llm_label"].strip() for t in triples),
                      "source": triples[0].get("source", "teacher"), "teacher_triples": len(triples)}
    return out


def attach_scigen_teacher(split: Dataset, teacher_dir: Path, method_options: dict[str, Any] | None = None
                          ) -> Dataset:
    """`split` with the teacher's triples aggregated per table (see the module docstring); others get ''."""
    if not Path(teacher_dir).exists():
        raise DataUnavailable(f"teacher.source is 'live' but no teacher outputs at {teacher_dir}: run "
                              "notebooks/10_scigen_teacher.ipynb first")
    filter_verified = bool((method_options or {}).get("filter_verified", True))
    per_table = aggregate_triples(list(load_from_disk(str(teacher_dir))), set(split["id"]), filter_verified)
    missing = {"rationale": "", "llm_label": "", "source": "teacher-missing", "teacher_triples": 0}
    return split.map(lambda record: per_table.get(record["id"], missing))
