"""SciGen train / valid / test splits for an experiment config, and the teacher's reasoning joined
per table.

`load_scigen_splits(cfg)` builds a DatasetDict from distill_lib.papers.scigen.data:
  train = `{size}` train (few-shot from the shared data; medium/large via the hub or a local file),
  valid = `{size}` dev (never test: the reference's dev targets overlap test, spec §2.7), test  =
  test-CL + test-Other, or one of them (`data.options.test_split`: test | test-CL | test-Other).
Options (`cfg.data.options`, papers.scigen.options): `size` (few-shot | medium | large),
`test_split`.

The teacher (distill_lib.teacher, template scigen_reasoning) returns up to 2 (reasoning, statement,
verification) triples per table; the teacher stage saves one row per triple with ids `<table id>`
(triple 1), `<table id>-t1` (triple 2), and `-<sample>` before that when teacher.n > 1.
`attach_scigen_teacher` joins them back to one record per table:
  rationale = "<reasoning 1> <statement 1> <reasoning 2> <statement 2>" over the triples kept, in
  order; llm_label = the kept statements joined by spaces; teacher_triples = how many were kept.
Kept = every parsed triple, or (`method.options.filter_verified`, default true) only those whose
own verification line says true (the teacher's self-verification, spec §2.7). Tables the teacher
did not see (beyond teacher.limit, or test/dev: the stage sends train only) get rationale '', so
`scigen_reasoning_input` then sees the plain table, i.e. it degenerates to `scigen_plain` for them.
With `method.options.reasoning: free_text` (`attach_free_text`), rationale is instead the teacher's
first answer per table read by papers.scigen.parsers.free_text_reasoning, unverified, with
source "teacher-free-text" and teacher_triples 0.

Deliberately left out: the per-triple training pairs of the reference (table <COT> reasoning ->
teacher statement); here the target stays the gold description, with the teacher's reasoning as
extra input or output.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from datasets import Dataset, DatasetDict, load_from_disk

from distill_lib.config import ExperimentConfig
from distill_lib.data.records import StageMissing
from distill_lib.papers.scigen.data import load_scigen
from distill_lib.papers.scigen.methods import reads_teacher
from distill_lib.papers.scigen.parsers import free_text_reasoning
from distill_lib.runs import read_jsonl, teacher_dir


def load_scigen_splits(cfg: ExperimentConfig) -> DatasetDict:
    """train / valid / test SciGen records for cfg; with a live teacher and a method that reads
    it, the teacher's triples joined to train (`scigen_plain` and the untrained row run without
    the teacher stage)."""
    if cfg.data.train_fraction < 1.0:
        raise ValueError(
            "data.train_fraction < 1 is not supported for SciGen; use data.train_limit"
        )
    size, test_split = cfg.data.options.size, cfg.data.options.test_split
    splits = DatasetDict(
        {
            "train": load_scigen("train", cfg.data.data_dir, size),
            "valid": load_scigen("dev", cfg.data.data_dir, size),
            "test": load_scigen(test_split, cfg.data.data_dir, size),
        }
    )
    options = cfg.method.options
    if cfg.teacher.source == "live" and reads_teacher(cfg.method.name):
        if options.reasoning == "free_text":
            splits["train"] = attach_free_text(
                splits["train"], teacher_dir(cfg, cfg.data.dataset), options.free_text_words
            )
        else:
            splits["train"] = attach_scigen_teacher(
                splits["train"],
                teacher_dir(cfg, cfg.data.dataset, "train"),
                options.filter_verified,
            )
    return splits


def table_id(teacher_id: str, known: set[str]) -> str | None:
    """The table id a teacher row belongs to ('train-5-t1' -> 'train-5'), or None when no known id
    matches."""
    candidate = teacher_id
    while candidate not in known and "-" in candidate:
        candidate = candidate.rsplit("-", 1)[0]
    return candidate if candidate in known else None


def aggregate_triples(
    rows: list[dict[str, Any]], known: set[str], verified_only: bool = True
) -> dict[str, dict[str, Any]]:
    """Teacher rows (one per triple) -> {table id: {rationale, llm_label, source,
    teacher_triples}}.
    """
    kept: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        table = table_id(str(row["id"]), known)
        if table is None or not row.get("llm_label", "").strip():
            continue
        if verified_only and not row.get("parse_ok", False):
            continue
        kept[table].append(row)
    out = {}
    for table, triples in kept.items():
        rationale = " ".join(
            f"{t['rationale'].strip()} {t['llm_label'].strip()}".strip() for t in triples
        )
        out[table] = {
            "rationale": rationale,
            "llm_label": " ".join(t["llm_label"].strip() for t in triples),
            "source": triples[0].get("source", "teacher"),
            "teacher_triples": len(triples),
        }
    return out


def attach_free_text(split: Dataset, stage_dir: Path, max_words: int) -> Dataset:
    """`split` with each table's first teacher answer as free-text reasoning (module docstring);
    tables the teacher did not answer get ''."""
    answers = Path(stage_dir) / "teacher_outputs.jsonl"
    if not answers.exists():
        raise StageMissing(
            f"method.options.reasoning is 'free_text' but no teacher answers at {answers}: run "
            "notebooks/10_scigen_teacher.ipynb first"
        )
    per_table = {
        str(row["id"]): free_text_reasoning(row["completions"][0], max_words)
        for row in read_jsonl(answers)
        if row.get("completions")
    }

    def reasoning(record: dict[str, Any]) -> dict[str, Any]:
        text = per_table.get(str(record["id"]), "")
        source = "teacher-free-text" if text else "teacher-missing"
        return {"rationale": text, "llm_label": "", "source": source, "teacher_triples": 0}

    return split.map(reasoning)


def attach_scigen_teacher(split: Dataset, outputs_dir: Path, verified_only: bool = True) -> Dataset:
    """`split` with the teacher's triples aggregated per table (see the module docstring); others
    get ''."""
    if not Path(outputs_dir).exists():
        raise StageMissing(
            f"teacher.source is 'live' but no teacher outputs at {outputs_dir}: run "
            "notebooks/10_scigen_teacher.ipynb first"
        )
    per_table = aggregate_triples(
        list(load_from_disk(str(outputs_dir))), set(split["id"]), verified_only
    )
    missing = {"rationale": "", "llm_label": "", "source": "teacher-missing", "teacher_triples": 0}
    return split.map(lambda record: per_table.get(record["id"], missing))
