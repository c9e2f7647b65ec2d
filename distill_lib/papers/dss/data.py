"""Distilling step-by-step data: e-SNLI, ANLI-R1, CommonsenseQA (cos_e v1.11) and SVAMP with PaLM
rationales.

`load_dss(dataset, data_dir, fraction, seed)` returns a DatasetDict(train, valid, test) of records
built the reference way: PaLM rationale and label attached to the full train split, then the
data-efficiency subsample (`train_test_split(test_size=1-p, seed=run)`), then for CQA and SVAMP the
10% validation hold-out (`train_test_split(test_size=0.1, seed=0)`). NLI inputs are text pairs
(`input`, `input_b`) that the featurizer joins with the tokenizer's EOS string, as the reference
does.

Files come from the data dir (../shared/data by default); missing splits fall back to the Hugging
Face Hub (`cos_e`/v1.11, `esnli`, `anli`), and a split that cannot be had anywhere raises
DataUnavailable naming what is missing and where it looked. Deliberately left out: tokenization and
targets (distill_lib.methods).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from distill_lib.config import PROJECT_ROOT, ExperimentConfig
from distill_lib.data.records import DataFormatError, DataUnavailable, resolve_data_dir
from distill_lib.hub import hub_unavailable
from distill_lib.papers.dss.options import DATASETS
from distill_lib.papers.dss.palm import parse_palm_output, read_palm_outputs
from distill_lib.runs import read_jsonl, teacher_dir
from distill_lib.verify.arith import numbers_close, safe_eval

# `datasets` is imported where a Dataset is built: plain records need only the standard library
if TYPE_CHECKING:
    from datasets import Dataset, DatasetDict

DSS_DATASETS = DATASETS
NLI_LABELS = ("entailment", "neutral", "contradiction")  # HF ClassLabel order: 0, 1, 2
HAS_OFFICIAL_VALID = {"anli1", "esnli"}
LOCAL_FILES = {
    ("cqa", "train"): "cqa/cqa_train.json",
    ("cqa", "test"): "cqa/cqa_test.json",
    ("svamp", "train"): "svamp/svamp_train.json",
    ("svamp", "test"): "svamp/svamp_test.json",
    ("anli1", "train"): "anli1/anli1_train.json",
    ("anli1", "valid"): "anli1/anli1_valid.json",
    ("anli1", "test"): "anli1/anli1_test.json",
    ("esnli", "train"): "esnli/esnli_train_first10000.json",
    ("esnli", "valid"): "esnli/esnli_valid.json",
    ("esnli", "test"): "esnli/esnli_test.json",
}
HUB_SPLITS = {
    ("cqa", "train"): ("cos_e", "v1.11", "train"),
    ("cqa", "test"): ("cos_e", "v1.11", "validation"),
    ("anli1", "train"): ("anli", None, "train_r1"),
    ("anli1", "valid"): ("anli", None, "dev_r1"),
    ("anli1", "test"): ("anli", None, "test_r1"),
    ("esnli", "train"): ("esnli", None, "train"),
    ("esnli", "valid"): ("esnli", None, "validation"),
    ("esnli", "test"): ("esnli", None, "test"),
}


def _raw_split(
    dataset: str, split: str, data_dir: Path | None
) -> tuple[list[dict[str, Any]], bool]:
    """(raw rows of one split, whether they came from the hub): the data dir first, else the hub;
    DataUnavailable names both places."""
    local = data_dir / "dss" / LOCAL_FILES[(dataset, split)] if data_dir else None
    if local is not None and local.exists():
        return read_jsonl(local), False
    hub = HUB_SPLITS.get((dataset, split))
    tried = f"{local}" if local else "no data dir"
    reason = hub_unavailable() if hub is not None else None
    if reason:
        raise DataUnavailable(
            f"{dataset}/{split}: not in the data dir (looked at {tried}); the Hugging Face Hub "
            f"copy {hub[0]}[{hub[2]}] cannot be used: {reason}"
        )
    if hub is None:
        raise DataUnavailable(
            f"{dataset}/{split}: not found (looked at {tried}; no hub copy exists)"
        )
    try:
        from datasets import load_dataset

        return list(load_dataset(hub[0], hub[1], split=hub[2])), True
    except Exception as err:  # the hub is unreachable offline: say what was tried
        raise DataUnavailable(
            f"{dataset}/{split}: not in the data dir (looked at {tried}) and the Hugging Face Hub "
            "copy "
            f"{hub[0]}{'/' + hub[1] if hub[1] else ''}[{hub[2]}] could not be loaded: "
            f"{type(err).__name__}: "
            f"{str(err)[:200]}"
        ) from None


def _cqa_record(row: dict[str, Any], index: int) -> dict[str, Any]:
    choices = row["choices"]
    letters = "abcde"
    text = (
        row["question"]
        + "\nAnswer Choices:"
        + "".join(f"\n({letters[i]}) {c}" for i, c in enumerate(choices))
    )
    return {
        "id": row.get("id", str(index)),
        "input": text,
        "input_b": "",
        "label": row["answer"],
        "choices": list(choices),
    }


def _svamp_record(row: dict[str, Any], index: int) -> dict[str, Any]:
    return {
        "id": str(index),
        "input": row["input"],
        "input_b": "",
        "label": row["label"],
        "choices": [],
    }


def _nli_record(row: dict[str, Any], index: int) -> dict[str, Any]:
    label = row["label"]
    if label not in (0, 1, 2):
        raise ValueError(f"row {index}: field 'label' is {label!r}, expected 0, 1 or 2")
    return {
        "id": str(row.get("uid", index)),
        "input": row["premise"],
        "input_b": row["hypothesis"],
        "label": NLI_LABELS[label],
        "choices": list(NLI_LABELS),
    }


def _build_record(dataset: str, split: str, row: dict[str, Any], index: int) -> dict[str, Any]:
    """RECORD_BUILDERS' record for one raw row; a missing field or bad value is a DataFormatError
    naming the dataset, split, row and field."""
    try:
        return RECORD_BUILDERS[dataset](row, index)
    except KeyError as err:
        raise DataFormatError(f"{dataset}/{split}, row {index}: missing field {err}") from None
    except (TypeError, ValueError) as err:
        raise DataFormatError(f"{dataset}/{split}, row {index}: {err}") from None


RECORD_BUILDERS = {
    "cqa": _cqa_record,
    "svamp": _svamp_record,
    "anli1": _nli_record,
    "esnli": _nli_record,
}


# points below the release's PaLM test accuracy that an aligned split may score
ALIGNMENT_TOLERANCE = 10.0


class MisalignedRows(ValueError):
    """Inputs from the hub and the release's PaLM outputs, joined by row order, do not belong
    together."""


def check_alignment(records: list[dict], dataset: str, where: str) -> float:
    """PaLM label accuracy (%) of records whose inputs and PaLM outputs were joined by row order;
    raises MisalignedRows when it is more than ALIGNMENT_TOLERANCE points below the release's
    accuracy on test (rows joined out of order agree with gold only at about the label
    distribution's chance rate)."""
    accuracy = 100.0 * llm_label_accuracy(records, dataset)
    expected = release_palm_accuracy()[dataset]
    if accuracy < expected - ALIGNMENT_TOLERANCE:
        raise MisalignedRows(
            f"{where}: the PaLM labels agree with the gold labels on {accuracy:.1f}% of the rows, "
            "but the release's "
            f"PaLM accuracy is {expected:.1f}% (test): the inputs and the PaLM outputs are not "
            "aligned by row "
            f"order (a hub copy in another order or version?)"
        )
    return accuracy


def release_palm_accuracy() -> dict[str, float]:
    """The release's PaLM-540B label accuracy on test per dataset (configs/references/dss.yaml)."""
    path = PROJECT_ROOT / "configs" / "references" / "dss.yaml"
    return yaml.safe_load(path.read_text())["palm_few_shot"]["test_accuracy"]


def load_split_records(
    dataset: str, split: str, data_dir: Path | None, with_llm: bool = True
) -> list[dict]:
    """Records of one released split with PaLM rationale/label attached (rows beyond the inputs are
    dropped).

    Inputs that come from the hub (ANLI-R1 train; any split missing from the data dir) are joined to
    the PaLM outputs by row order; that join is checked when the data loads (`check_alignment`)."""
    rows, from_hub = _raw_split(dataset, split, data_dir)
    records = [_build_record(dataset, split, row, i) for i, row in enumerate(rows)]
    llm = read_palm_outputs(data_dir, dataset, split) if (with_llm and data_dir) else None
    if with_llm and llm is None:
        raise DataUnavailable(f"{dataset}/{split}: PaLM outputs need a data dir (none found)")
    if llm is not None and len(llm) < len(records):
        raise DataUnavailable(
            f"{dataset}/{split}: {len(records)} inputs but only {len(llm)} PaLM outputs"
        )
    for record, text in zip(records, llm or [], strict=False):
        rationale, label = parse_palm_output(dataset, text)
        record.update(rationale=rationale, llm_label=label, format="label", source="palm-540b")
    if llm is None:
        for record in records:
            record.update(rationale="", llm_label="", format="label", source="gold")
    elif from_hub:
        check_alignment(records, dataset, f"{dataset}/{split} (inputs from the hub)")
    return records


def load_dss(
    dataset: str,
    data_dir: str | Path | None = None,
    fraction: float = 1.0,
    seed: int = 0,
    with_llm: bool = True,
) -> DatasetDict:
    """train / valid / test records for one DSS dataset, split exactly as the reference does (module
    doc)."""
    from datasets import Dataset, DatasetDict

    if dataset not in DSS_DATASETS:
        raise KeyError(f"unknown DSS dataset '{dataset}'; known: {DSS_DATASETS}")
    root = resolve_data_dir(data_dir)
    train = Dataset.from_list(load_split_records(dataset, "train", root, with_llm))
    test = Dataset.from_list(load_split_records(dataset, "test", root, with_llm))
    if fraction < 1.0:
        train = train.train_test_split(test_size=1.0 - fraction, seed=seed)["train"]
    if dataset in HAS_OFFICIAL_VALID:
        valid = Dataset.from_list(load_split_records(dataset, "valid", root, with_llm))
    else:
        held = train.train_test_split(test_size=0.1, seed=0)
        train, valid = held["train"], held["test"]
    return DatasetDict(train=train, valid=valid, test=test)


def labels_match(
    dataset: str, predicted: str, gold: str, exact_svamp: bool = False, python_and: bool = False
) -> bool:
    """The DSS accuracy rule: string equality, SVAMP by arithmetic value (safe evaluator, tolerance
    1e-6).

    `python_and` reproduces the reference's `eval` on `a and b` (used only for the release's
    PaLM-label check).
    """
    if dataset != "svamp":
        return predicted == gold
    pred, ref = safe_eval(predicted, python_and=python_and), safe_eval(gold)
    if exact_svamp:
        return pred is not None and pred == ref
    return numbers_close(pred, ref)


def llm_label_accuracy(records: Dataset | list[dict], dataset: str) -> float:
    """Share of records whose parsed PaLM label matches gold (the release's alignment check)."""
    rows = list(records)
    hits = sum(
        labels_match(dataset, r["llm_label"], r["label"], exact_svamp=True, python_and=True)
        for r in rows
    )
    return hits / max(len(rows), 1)


def release_summary(data_dir: str | Path | None = None) -> list[dict[str, Any]]:
    """Per released split: rows, PaLM label accuracy (%), empty rationales, labels outside the label
    set."""
    root = resolve_data_dir(data_dir)
    rows = []
    for dataset in DSS_DATASETS:
        for split in ("train", "valid", "test"):
            if (dataset, split) not in LOCAL_FILES:
                continue
            try:
                records = load_split_records(dataset, split, root)
            except DataUnavailable as err:
                rows.append({"dataset": dataset, "split": split, "n": 0, "note": str(err)[:120]})
                continue
            clean = [r for r in records if r["choices"] and r["llm_label"] not in r["choices"]]
            rows.append(
                {
                    "dataset": dataset,
                    "split": split,
                    "n": len(records),
                    "palm_accuracy": round(100 * llm_label_accuracy(records, dataset), 2),
                    "empty_rationales": sum(not r["rationale"].strip() for r in records),
                    "labels_outside_choices": len(clean),
                    "note": "",
                }
            )
    return rows


def attach_teacher_outputs(split: Dataset, teacher_dir: Path) -> Dataset:
    """Replace rationale / llm_label / source by the live teacher's, joined on `id`; missing ids get
    ''."""
    from datasets import load_from_disk

    if not teacher_dir.exists():
        raise DataUnavailable(
            f"teacher.source is 'live' but no teacher outputs at {teacher_dir}: run the "
            "rationale notebook (02) first"
        )
    outputs = {row["id"]: row for row in load_from_disk(str(teacher_dir))}

    def replace(record: dict) -> dict:
        row = outputs.get(record["id"], {})
        return {
            "rationale": row.get("rationale", ""),
            "llm_label": row.get("llm_label", ""),
            "source": row.get("source", "teacher-missing"),
        }

    return split.map(replace)


def load_splits(cfg: ExperimentConfig) -> DatasetDict:
    """train / valid / test records of cfg.data.dataset; the live teacher's rationales on train when
    asked."""
    splits = load_dss(cfg.data.dataset, cfg.data.data_dir, cfg.data.train_fraction, cfg.train.seed)
    if cfg.teacher.source == "live":
        splits["train"] = attach_teacher_outputs(
            splits["train"], teacher_dir(cfg, cfg.data.dataset, "train")
        )
    return splits
