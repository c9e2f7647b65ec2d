"""Math word-problem benchmarks as records: GSM8K, SVAMP, ASDiv (numeric subset) and MultiArith.

Every loader returns a `datasets.Dataset` of records (see `distill_lib.data.records`) with `input` =
the question, `label` = the gold answer as text, `format` = "label", `source` = "gold", plus a float
column `answer`. Files come from the data dir (../shared/data by default, see
../shared/data/README.md); GSM8K and the SVAMP 700/300 split fall back to the Hugging Face Hub;
anything that cannot be had raises DataUnavailable naming the file and the hub id tried.

Gold rules (eotd.md §3): GSM8K, the text after `#### ` with commas removed; SVAMP, `Answer` with
question `Body + " " + Question`; ASDiv, the numeric subset (skip answers with `;`, remove one
trailing parenthesised unit, keep a single plain number: 2,084 of 2,305); MultiArith,
`lSolutions[0]` with question `sQuestion`. SVAMP "train"/"test" are the `ChilleD/SVAMP` 700/300
split, which is not derivable from the local file (its order is unknown), so without the hub they
raise DataUnavailable; "all" is the local 1,000.

Deliberately left out: prompts and student inputs (distill_lib.methods), the DSS SVAMP 800/200 split
(distill_lib.papers.dss.data), and MultiArith's 420/180 hub split.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from datasets import Dataset

from distill_lib.data.records import (
    DataFormatError,
    DataUnavailable,
    make_record,
    resolve_data_dir,
)
from distill_lib.hub import hub_unavailable
from distill_lib.runs import read_json, read_jsonl

GSM8K_HUB = ("openai/gsm8k", "main")
SVAMP_HUB = ("ChilleD/SVAMP", None)
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+")
TRAILING_UNIT = re.compile(r"\s*\([^()]*\)\s*$")


def format_answer(value: float) -> str:
    """Gold answer as text: `18` for 18.0, `2.5` for 2.5 (at most 6 decimals)."""
    return str(int(value)) if float(value).is_integer() else f"{value:.6f}".rstrip("0")


def _hub_rows(hub: tuple[str, str | None], split: str, tried: str) -> list[dict[str, Any]]:
    """Rows of a hub split; DataUnavailable says what was looked at locally and which hub id
    failed.
    """
    hub_name = hub[0] + (f"/{hub[1]}" if hub[1] else "")
    reason = hub_unavailable()
    if reason:
        raise DataUnavailable(
            f"not found locally ({tried}); hub dataset {hub_name}[{split}] cannot be used: {reason}"
        )
    try:
        from datasets import load_dataset

        return list(load_dataset(hub[0], hub[1], split=split))
    except Exception as err:  # unreachable hub, unknown split: say what was tried
        raise DataUnavailable(
            f"not found locally ({tried}) and hub dataset {hub_name}[{split}] could not be "
            f"loaded: {type(err).__name__}: {str(err)[:200]}"
        ) from None


def _local_file(data_dir: str | Path | None, relative: str) -> Path | None:
    root = resolve_data_dir(data_dir)
    path = root / relative if root else None
    return path if path is not None and path.exists() else None


def _require_file(data_dir: str | Path | None, relative: str, hub_note: str) -> Path:
    path = _local_file(data_dir, relative)
    if path is None:
        raise DataUnavailable(
            f"{relative} not found in the data dir ({resolve_data_dir(data_dir)}); {hub_note}"
        )
    return path


def _record(id: str, question: str, answer: float) -> dict[str, Any]:
    return make_record(id, question.strip(), format_answer(answer), answer=float(answer))


def gsm8k_gold(answer_text: str, where: str) -> float:
    """The number after `#### ` (commas removed); ValueError naming `where` when it is missing or
    not a number."""
    if "####" not in answer_text:
        raise DataFormatError(f"{where}: field 'answer' has no '#### N' line")
    number = answer_text.rsplit("####", 1)[1].strip().replace(",", "")
    try:
        return float(number)
    except ValueError:
        raise DataFormatError(
            f"{where}: field 'answer' ends in '#### {number}', not a number"
        ) from None


def load_gsm8k(split: str = "test", data_dir: str | Path | None = None) -> Dataset:
    """GSM8K train (7,473) or test (1,319); ids `gsm8k-{split}-{index}` (the 0-based line
    number).
    """
    if split not in ("train", "test"):
        raise ValueError(f"GSM8K split must be 'train' or 'test', got {split!r}")
    relative = f"gsm8k/{split}.jsonl"
    path = _local_file(data_dir, relative)
    if path is not None:
        rows = read_jsonl(path)
        where = [f"{path}, line {i + 1}" for i in range(len(rows))]
    else:
        rows = _hub_rows(GSM8K_HUB, split, f"{relative} in {resolve_data_dir(data_dir)}")
        where = [f"hub {GSM8K_HUB[0]}[{split}] row {i}" for i in range(len(rows))]
    records = [
        _record(f"gsm8k-{split}-{i}", row["question"], gsm8k_gold(row["answer"], where[i]))
        for i, row in enumerate(rows)
    ]
    return Dataset.from_list(records)


def load_svamp_math(split: str = "all", data_dir: str | Path | None = None) -> Dataset:
    """SVAMP: "all" = the 1,000 local problems; "train"/"test" = the hub ChilleD/SVAMP 700/300
    split."""
    if split == "all":
        path = _require_file(
            data_dir, "svamp/SVAMP.json", "it has no hub copy with the original ids"
        )
        rows = read_json(path)
        return Dataset.from_list(
            [_svamp_record(row, f"{path}, item {i}") for i, row in enumerate(rows)]
        )
    if split not in ("train", "test"):
        raise ValueError(f"SVAMP split must be 'all', 'train' or 'test', got {split!r}")
    rows = _hub_rows(SVAMP_HUB, split, "the 700/300 split exists only on the hub")
    return Dataset.from_list(
        [_svamp_record(row, f"hub {SVAMP_HUB[0]}[{split}] row {i}") for i, row in enumerate(rows)]
    )


def _svamp_record(row: dict[str, Any], where: str) -> dict[str, Any]:
    try:
        question = f"{row['Body'].strip()} {row['Question'].strip()}"
        return _record(str(row["ID"]), question, float(row["Answer"]))
    except (KeyError, TypeError, ValueError) as err:
        raise DataFormatError(
            f"{where}: bad or missing field ({type(err).__name__}: {err})"
        ) from None


def asdiv_numeric_answer(answer: str) -> float | None:
    """The spec's numeric rule: None for `;` answers or anything but one plain number (+ one
    unit).
    """
    if ";" in answer:
        return None
    text = TRAILING_UNIT.sub("", answer.strip(), count=1).strip()
    return float(text.replace(",", "")) if PLAIN_NUMBER.fullmatch(text) else None


def load_asdiv(data_dir: str | Path | None = None) -> Dataset:
    """ASDiv numeric subset (2,084 of 2,305 problems); extra columns `grade`, `solution_type`."""
    path = _require_file(
        data_dir, "asdiv/ASDiv.xml", "hub EleutherAI/asdiv has different ids and is not used"
    )
    records = []
    for problem in ET.parse(path).getroot().iter("Problem"):
        fields = {child.tag: (child.text or "").strip() for child in problem}
        if not all(fields.get(tag) for tag in ("Body", "Question", "Answer")):
            raise DataFormatError(
                f"{path}, problem {problem.get('ID')}: missing Body, Question or Answer"
            )
        value = asdiv_numeric_answer(fields["Answer"])
        if value is not None:
            record = _record(problem.get("ID"), f"{fields['Body']} {fields['Question']}", value)
            record.update(
                grade=problem.get("Grade", ""), solution_type=fields.get("Solution-Type", "")
            )
            records.append(record)
    return Dataset.from_list(records)


def load_multiarith(data_dir: str | Path | None = None) -> Dataset:
    """MultiArith, all 600; ids `multiarith-{iIndex}`."""
    path = _require_file(
        data_dir, "multiarith/MultiArith.json", "hub ChilleD/MultiArith splits it 420/180"
    )
    records = []
    for i, row in enumerate(read_json(path)):
        try:
            records.append(
                _record(
                    f"multiarith-{row['iIndex']}", row["sQuestion"], float(row["lSolutions"][0])
                )
            )
        except (KeyError, IndexError, TypeError, ValueError) as err:
            raise DataFormatError(
                f"{path}, item {i}: bad or missing field ({type(err).__name__}: {err})"
            ) from None
    return Dataset.from_list(records)


def load_math_benchmark(
    name: str, split: str | None = None, data_dir: str | Path | None = None
) -> Dataset:
    """Dispatch by name. split=None is the spec's default eval set: GSM8K test, SVAMP all 1,000,
    ASDiv numeric, MultiArith 600; otherwise gsm8k takes train/test and svamp all/train/test (asdiv,
    multiarith: only None/"all").
    """
    if name == "gsm8k":
        return load_gsm8k(split or "test", data_dir)
    if name == "svamp":
        return load_svamp_math(split or "all", data_dir)
    loaders = {"asdiv": load_asdiv, "multiarith": load_multiarith}
    if name not in loaders:
        raise ValueError(
            f"unknown math benchmark {name!r}; expected gsm8k, svamp, asdiv or multiarith"
        )
    if split not in (None, "all"):
        raise ValueError(f"{name} has one split (all); got {split!r}")
    return loaders[name](data_dir)
