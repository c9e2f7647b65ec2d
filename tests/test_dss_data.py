"""DSS data: split construction, release facts (PaLM label accuracy), and parsing parity with the
reference."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from distill_lib.data.records import DataUnavailable
from distill_lib.papers.dss.data import (
    labels_match,
    llm_label_accuracy,
    load_dss,
    load_split_records,
)
from distill_lib.papers.dss.palm import parse_palm_output, read_palm_outputs


# An oracle for the reference parse rules, written independently (regex first, not split first), in
# minbpe's spirit: two implementations of the same rules must agree on every shipped string.
def oracle(dataset: str, text: str) -> tuple[str, str]:
    if dataset == "esnli":
        m = re.match(r"(?s)(.*?)Answer:", text)
        rationale = (m.group(1) if m else text).rstrip()
        m = re.search(r"(?s)Answer: (.*?)(Premise|$)", text)
        return rationale, m.group(1).rstrip() if m else " "
    cut, marker = {
        "cqa": ("Q:", "So the answer is"),
        "svamp": ("Q:", "The answer is"),
        "anli1": ("Premise:", "So the answer is"),
    }[dataset]
    body = text[: text.index(cut)] if cut in text else text
    body = body.rstrip()
    if body.count(marker) != 1:
        return {"svamp": (" ", " "), "anli1": ("", ""), "cqa": ("", "")}[dataset]
    rationale, tail = body.split(marker)
    if dataset == "svamp":
        m = re.search(r"\(.*\)", tail)
        return rationale.rstrip(), m.group(0) if m else " "
    if dataset == "anli1":
        return rationale.rstrip(), tail.lstrip()[:-1]
    m = re.search(r"\(.\)(.*)", tail, flags=re.S)
    label = m.group(1).strip() if m else ""
    label = label.split("(")[0].strip() if m and re.search(r"\(.\)", label) else label
    return rationale.rstrip(), (label[:-1] if label.endswith(".") else label) or " "


ALL_RELEASED = [
    ("cqa", "train"),
    ("cqa", "test"),
    ("svamp", "train"),
    ("svamp", "test"),
    ("anli1", "train"),
    ("anli1", "valid"),
    ("anli1", "test"),
    ("esnli", "train"),
    ("esnli", "valid"),
    ("esnli", "test"),
]


@pytest.mark.parametrize("dataset,split", ALL_RELEASED)
def test_parse_parity_on_every_shipped_string(data_dir, dataset, split):
    outputs = read_palm_outputs(data_dir, dataset, split)
    mismatches = [t for t in outputs if parse_palm_output(dataset, t) != oracle(dataset, t)]
    assert len(outputs) > 100
    assert mismatches == [], f"{len(mismatches)} mismatches, first: {mismatches[0][:300]!r}"


def test_parse_examples_by_hand():
    cqa = "Beavers need wood. So the answer is (c) wooded area.\n\nQ: What is next?"
    assert parse_palm_output("cqa", cqa) == ("Beavers need wood.", "wooded area")
    assert parse_palm_output("cqa", "No marker here. So the answer is wooded area.") == (
        "No marker here.",
        " ",
    )
    assert parse_palm_output("svamp", "He has 10 and 45. The answer is (10 * 45).\n\nQ: x") == (
        "He has 10 and 45.",
        "(10 * 45)",
    )
    assert parse_palm_output("svamp", "no answer at all") == (" ", " ")
    assert parse_palm_output(
        "anli1", "London is in Europe. So the answer is entailment.\n\nPremise: x"
    ) == ("London is in Europe.", "entailment")
    assert parse_palm_output("esnli", "A dog is an animal.\nAnswer: entailment\n\nPremise: z") == (
        "A dog is an animal.",
        "entailment",
    )
    assert parse_palm_output("esnli", "cut off") == ("cut off", " ")


@pytest.mark.parametrize(
    "dataset,split,expected",
    [
        ("cqa", "test", 77.23),
        ("svamp", "test", 74.00),
        ("anli1", "test", 65.60),
        ("esnli", "test", 72.99),
        ("cqa", "train", 74.26),
        ("svamp", "train", 73.50),
        ("anli1", "valid", 66.80),
        ("esnli", "valid", 73.17),
        ("esnli", "train", 69.86),
    ],
)
def test_palm_label_accuracy_matches_the_release(data_dir, dataset, split, expected):
    records = load_split_records(dataset, split, data_dir)
    assert round(100 * llm_label_accuracy(records, dataset), 2) == expected


def test_misaligned_outputs_fall_to_chance(data_dir):
    records = load_split_records("cqa", "test", data_dir)
    shifted = [
        dict(r, llm_label=records[(i + 3) % len(records)]["llm_label"])
        for i, r in enumerate(records)
    ]
    assert llm_label_accuracy(shifted, "cqa") < 0.25


def test_split_sizes_follow_the_reference(data_dir):
    cqa = load_dss("cqa", data_dir)
    assert {k: len(v) for k, v in cqa.items()} == {"train": 8766, "valid": 975, "test": 1221}
    svamp = load_dss("svamp", data_dir)
    assert {k: len(v) for k, v in svamp.items()} == {"train": 720, "valid": 80, "test": 200}
    # the reference's "LLM Train Acc"
    assert round(100 * llm_label_accuracy(cqa["train"], "cqa"), 2) == 74.31
    esnli = load_dss("esnli", data_dir)
    assert {k: len(v) for k, v in esnli.items()} == {"train": 10000, "valid": 9842, "test": 9824}


def test_fraction_subsamples_before_the_hold_out(data_dir):
    half = load_dss("cqa", data_dir, fraction=0.5, seed=1)
    other = load_dss("cqa", data_dir, fraction=0.5, seed=2)
    assert len(half["train"]) + len(half["valid"]) == 4870  # 9741 * 0.5, rounded down by HF
    assert len(half["valid"]) == 487
    assert set(half["train"]["id"]) != set(other["train"]["id"])


def test_svamp_split_rebuilds_from_svamp_json(data_dir):
    problems = json.loads((data_dir / "svamp" / "SVAMP.json").read_text())
    order = np.random.RandomState(0).permutation(len(problems))
    rebuilt = [
        (f"{problems[i]['Body']}\n{problems[i]['Question']}", problems[i]["Equation"])
        for i in order
    ]
    train = [
        (r["input"], r["label"])
        for r in load_split_records("svamp", "train", data_dir, with_llm=False)
    ]
    test = [
        (r["input"], r["label"])
        for r in load_split_records("svamp", "test", data_dir, with_llm=False)
    ]
    assert train == rebuilt[:800] and test == rebuilt[800:]


def test_nli_records_are_text_pairs_with_label_names(data_dir):
    record = load_split_records("esnli", "test", data_dir)[0]
    assert record["input_b"] and record["label"] in ("entailment", "neutral", "contradiction")


def test_missing_anli_train_names_what_and_where(data_dir, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DataUnavailable, match=r"anli1/train.*anli1_train\.json.*anli\[train_r1\]"):
        load_dss("anli1", data_dir)


def test_svamp_scoring_is_by_value_with_tolerance():
    assert labels_match("svamp", "(84/2)", "( 84.0 / 2.0 )")
    assert labels_match("svamp", "(1/3)", "( 0.3333333333 )")
    assert not labels_match("svamp", "(1/3)", "( 0.3333333333 )", exact_svamp=True)
    assert not labels_match("svamp", "__import__('os')", "( 1.0 )")
    # the eval quirk only on request
    assert not labels_match("svamp", "(29/2) and (30/2)", "( 30.0 / 2.0 )")
    assert labels_match("cqa", "wooded area", "wooded area") and not labels_match(
        "cqa", "wooded", "wooded area"
    )


def test_rows_joined_by_order_are_checked_against_the_release(data_dir, monkeypatch):
    """ANLI-R1 train inputs come from the hub and are joined to the PaLM outputs by row order: a
    shifted copy must be refused when the data loads, the aligned one accepted."""
    from distill_lib.papers.dss import data as dss_data

    rows = dss_data.read_jsonl(data_dir / "dss" / "anli1" / "anli1_valid.json")
    valid_outputs = dss_data.read_palm_outputs(data_dir, "anli1", "valid")
    monkeypatch.setattr(dss_data, "read_palm_outputs", lambda d, name, split: valid_outputs)
    monkeypatch.setattr(dss_data, "_raw_split", lambda name, split, d: (rows, True))
    aligned = dss_data.load_split_records("anli1", "train", data_dir)
    assert dss_data.check_alignment(aligned, "anli1", "aligned") == pytest.approx(66.8, abs=0.05)
    shifted = rows[1:] + rows[:1]
    monkeypatch.setattr(dss_data, "_raw_split", lambda name, split, d: (shifted, True))
    with pytest.raises(
        dss_data.MisalignedRows, match=r"anli1/train \(inputs from the hub\).*not aligned"
    ):
        dss_data.load_split_records("anli1", "train", data_dir)
