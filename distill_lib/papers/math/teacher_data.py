"""Released teacher outputs for math distillation as records, their clean-up, and verified
filtering.

Sources (see ../shared/data/teacher/*/SOURCE.md):
  - ReFT release: gpt-3.5-turbo CoT text and `def solution(): ... return result` programs for 3,076
    / 3,043 MAWPS + ASDiv-A problems (`load_reft_svamp`), kept upstream only when correct.
  - GSM8K train programs by gemini-2.5-flash + gpt-4.1, written with the gold solution in view
    (`load_gsm8k_train_programs`; 9,184 programs for 7,305 problems; no license: never commit or
    redistribute).

The GSM8K programs are cleaned into PoT targets and straight-line programs become derived EoT
systems by distill_lib.papers.math.programs. `keep_verified` keeps verified-correct, de-duplicated
rationales and reports the yield.

Deliberately left out: calling a teacher (distill_lib.teacher), building student inputs
(distill_lib.methods).
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path
from typing import Any

from datasets import Dataset

from distill_lib.data.records import DataUnavailable, make_record, resolve_data_dir
from distill_lib.papers.math.data import format_answer
from distill_lib.papers.math.programs import clean_program
from distill_lib.runs import read_json
from distill_lib.verify.answer import answers_match
from distill_lib.verify.batch import verify_many

REFT_DIR = "teacher/reft-svamp-gpt35"
REFT_FILES = {"cot": "svamp_nl.json", "pot": "svamp_python_sdp.json"}
REFT_SOURCE = "gpt-3.5-turbo (ReFT release)"
GSM8K_PROGRAMS = "teacher/gsm8k-train-pot-gemini-gpt41/gsm8k_train_pot_programs.jsonl.gz"
GSM8K_PROGRAMS_SOURCE = "gemini-2.5-flash+gpt-4.1, gold-conditioned"


def _teacher_file(data_dir: str | Path | None, relative: str) -> Path:
    root = resolve_data_dir(data_dir)
    if root is None or not (root / relative).exists():
        raise DataUnavailable(
            f"{relative} not found in the data dir ({root}); released teacher outputs have no "
            "hub copy here (see ../shared/data/teacher/README.md)"
        )
    return root / relative


def load_reft_svamp(fmt: str = "cot", data_dir: str | Path | None = None) -> Dataset:
    """ReFT gpt-3.5-turbo outputs: fmt "cot" (3,076 texts) or "pot" (3,043 programs); ids are
    `item_id`."""
    if fmt not in REFT_FILES:
        raise ValueError(f"ReFT format must be 'cot' or 'pot', got {fmt!r}")
    path = _teacher_file(data_dir, f"{REFT_DIR}/{REFT_FILES[fmt]}")
    records = []
    for i, row in enumerate(read_json(path)):
        try:
            answer = float(row["answer_value"])
            records.append(
                make_record(
                    row["item_id"],
                    row["question"].strip(),
                    format_answer(answer),
                    rationale=row["answer_cot"],
                    format=fmt,
                    source=REFT_SOURCE,
                    answer=answer,
                )
            )
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(
                f"{path}, item {i}: bad or missing field ({type(err).__name__}: {err})"
            ) from None
    return Dataset.from_list(records)


def load_gsm8k_train_programs(data_dir: str | Path | None = None, clean: bool = True) -> Dataset:
    """GSM8K-train programs as PoT records (id `gsm8k-train-{index}`, several per id); see
    `clean_program`."""
    path = _teacher_file(data_dir, GSM8K_PROGRAMS)
    records = []
    with gzip.open(path, "rt") as lines:
        for number, line in enumerate(lines, start=1):
            try:
                row = json.loads(line)
                program = clean_program(row["program"]) if clean else row["program"]
                records.append(
                    make_record(
                        f"gsm8k-train-{row['gsm8k_train_index']}",
                        row["question"].strip(),
                        format_answer(row["gold_answer"]),
                        rationale=program,
                        format="pot",
                        source=GSM8K_PROGRAMS_SOURCE,
                        answer=float(row["gold_answer"]),
                        model=row["model"],
                        tier=row["tier"],
                    )
                )
            except (KeyError, TypeError, ValueError, SyntaxError) as err:
                raise ValueError(f"{path}, line {number}: {type(err).__name__}: {err}") from None
    return Dataset.from_list(records)


def keep_verified(
    dataset: Dataset, fmt: str, workers: int = 2, timeout_s: float = 5.0
) -> tuple[Dataset, dict[str, Any]]:
    """Rows whose rationale verifies to the gold `answer` (|diff| < 1e-3), duplicates dropped first
    (the same question and the same thought up to whitespace, whatever the sample id: k samples of
    one question that agree count once); `llm_label` is set to the verified answer. Stats: n_in,
    n_unique, n_verified, n_kept, yield (n_kept / n_in), failures {status: count} (plus
    "wrong_answer" for verified but wrong)."""
    for column in ("rationale", "answer", "input"):
        if column not in dataset.column_names:
            raise ValueError(
                f"keep_verified: dataset has no {column!r} column (has {dataset.column_names})"
            )
    seen, unique = set(), []
    keys = zip(
        [" ".join(q.split()) for q in dataset["input"]],
        [" ".join(r.split()) for r in dataset["rationale"]],
        strict=True,
    )
    for index, key in enumerate(keys):
        if key not in seen:
            seen.add(key)
            unique.append(index)
    rationales, golds = dataset["rationale"], dataset["answer"]
    results = verify_many(
        fmt, [rationales[i] for i in unique], workers=workers, timeout_s=timeout_s
    )
    failures: Counter[str] = Counter(r.status for r in results if not r.ok)
    kept, labels = [], []
    for index, result in zip(unique, results, strict=True):
        if answers_match(result.answer, golds[index]):
            kept.append(index)
            labels.append(format_answer(result.answer))
        elif result.ok:
            failures["wrong_answer"] += 1
    filtered = dataset.select(kept).remove_columns("llm_label").add_column("llm_label", labels)
    stats = {
        "n_in": len(dataset),
        "n_unique": len(unique),
        "n_verified": sum(r.ok for r in results),
        "n_kept": len(kept),
        "yield": len(kept) / max(len(dataset), 1),
        "failures": dict(failures),
    }
    return filtered, stats
