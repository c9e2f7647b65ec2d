"""Prompt templates: layouts of the released outputs, parsers checked on real released teacher
text.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from distill_lib.data.records import resolve_data_dir
from distill_lib.papers.dss.palm import parse_palm_output, read_palm_outputs
from distill_lib.prompts import get_template, parse_all, template_names
from distill_lib.prompts.template import TemplateError
from distill_lib.verify.arith import safe_eval

DATA = resolve_data_dir(None)
needs_data = pytest.mark.skipif(DATA is None, reason="../shared/data not present")
# PaLM label accuracy on the released test splits (../shared/data/README.md "Sanity figures")
RELEASED_ACCURACY = {"cqa": 0.7723, "svamp": 0.74, "anli1": 0.656, "esnli": 0.7299}
NLI = ("entailment", "neutral", "contradiction")


def test_every_template_loads_with_version_and_stop():
    names = template_names()
    assert {
        "cqa",
        "svamp",
        "anli1",
        "esnli",
        "math_cot",
        "math_pot",
        "math_eot",
        "scigen_reasoning",
    } <= set(names)
    for name in names:
        template = get_template(name)
        assert template.version and template.stop and len(template.stop) <= 4


@pytest.mark.parametrize(
    "name, example, ending",
    [
        (
            "cqa",
            {"id": "1", "input": "Why?\nAnswer Choices:\n(a) x\n(b) y"},
            "Q: Why?\nAnswer Choices:\n(a) x\n(b) y\nA:",
        ),
        ("svamp", {"id": "1", "input": "Body text.\nHow many?"}, "Q: Body text. How many?\nA:"),
        (
            "anli1",
            {"id": "1", "input": "P.", "input_b": "H."},
            "Premise: P.\nHypothesis: H.\nAnswer:",
        ),
        (
            "esnli",
            {"id": "1", "input": "P.", "input_b": "H."},
            "Premise: P.\nHypothesis: H.\nReasonings:",
        ),
    ],
)
def test_dss_layouts_match_the_released_outputs(name, example, ending):
    template = get_template(name)
    text = template.render(example, chat=False)
    assert text.endswith(ending) and text.startswith(template.instruction)
    messages = template.render(example)
    assert [m["role"] for m in messages] == ["system", "user"] and messages[1]["content"].endswith(
        ending
    )
    # every demonstration parses back to its own rationale and answer
    for demo in template.exemplars:
        answer = template.demonstration(demo)[len(template._fill(template.query, demo, "demo")) :]
        parsed = template.parse(answer)
        assert parsed.ok and parsed.rationale == demo["rationale"]


def test_missing_field_names_template_and_field():
    with pytest.raises(TemplateError, match="anli1.*input_b"):
        get_template("anli1").render({"id": "7", "input": "P."})
    with pytest.raises(TemplateError, match="unknown prompt template 'nope'"):
        get_template("nope")


@needs_data
@pytest.mark.parametrize("dataset", ["cqa", "svamp", "anli1", "esnli"])
def test_dss_parse_of_released_palm_outputs(dataset):
    """The template parser equals the release parser and reproduces the released PaLM accuracy."""
    gold_file = DATA / "dss" / dataset / f"{dataset}_test.json"
    gold = [json.loads(line) for line in gold_file.read_text().splitlines() if line.strip()]
    texts = read_palm_outputs(DATA, dataset, "test")[: len(gold)]
    parsed, n_failed = parse_all(get_template(dataset), texts)
    for p, t in zip(parsed, texts, strict=True):
        rationale, label = parse_palm_output(dataset, t)
        assert (p.rationale, p.label) == (rationale, label.strip())  # " " quirk: empty, live
    if dataset == "svamp":
        hits = [
            safe_eval(p.label) is not None and safe_eval(p.label) == safe_eval(g["label"])
            for p, g in zip(parsed, gold, strict=True)
        ]
    else:
        answers = [g["answer"] if dataset == "cqa" else NLI[g["label"]] for g in gold]
        hits = [p.label == a for p, a in zip(parsed, answers, strict=True)]
    assert sum(hits) / len(hits) == pytest.approx(RELEASED_ACCURACY[dataset], abs=6e-5)
    assert 0 <= n_failed < 0.05 * len(texts)


@needs_data
def test_live_cqa_answer_without_a_letter_fails_with_an_empty_label():
    text = "A dictionary is found in a library. So the answer is yes.\n\nQ: next"
    assert parse_palm_output("cqa", text)[1] == " "  # the reference loader's quirk, kept for parity
    (parsed,), n_failed = parse_all(get_template("cqa"), [text])
    assert (parsed.label, parsed.ok, n_failed) == ("", False, 1)
    assert parsed.rationale == "A dictionary is found in a library."


def test_math_cot_parser_on_released_gpt35_cot():
    path = DATA / "teacher" / "reft-svamp-gpt35" / "svamp_nl.json"
    items = json.loads(Path(path).read_text())
    parsed, n_failed = parse_all(get_template("math_cot"), [item["answer_cot"] for item in items])
    assert len(parsed) == len(items) > 500 and n_failed < 0.01 * len(items)
    assert all(p.label == "" for p in parsed)
    assert parsed[0].rationale == items[0]["answer_cot"].strip()


def test_math_pot_and_eot_parsers_cut_run_on_and_check_ans():
    pot = get_template("math_pot").parse("x = 3\nans = x * 2\n\n\nQuestion: next one")
    assert pot.ok and pot.rationale == "x = 3\nans = x * 2" and pot.label == ""
    assert not get_template("math_pot").parse("x = 3\nprint(x)").ok
    eot = get_template("math_eot").parse(
        "% Assume x apples:\napples = x\napples + 2 = 5\nans = apples"
    )
    assert (
        eot.ok and eot.rationale.startswith("% Assume") and eot.rationale.endswith("ans = apples")
    )


def test_scigen_one_shot_shows_a_worked_train_table_and_parses_triples(data_dir):
    """The demonstration is template data: few-shot train item 0 (never test) with its description
    and two worked (reasoning, statement, verification) blocks, then the target table."""
    from distill_lib.papers.scigen.data import load_scigen

    template = get_template("scigen_reasoning")
    train_0 = load_scigen("train", data_dir)[0]
    (example,) = template.exemplars
    assert (example["id"], example["input"], example["label"]) == (
        "train-0",
        train_0["input"],
        train_0["label"],
    )
    messages = template.render({"id": "2", "input": "<R> <C> x"})
    text = messages[0]["content"]
    assert [m["role"] for m in messages] == ["user"]
    assert f"Table: {train_0['input']}" in text and f"Description: {train_0['label']}" in text
    for k in (1, 2):
        assert (
            f"Reasoning {k}: Looking at" in text and f"Verification {k}: The claim is true" in text
        )
    assert text.endswith("Table: <R> <C> x\n") and "test-CL" not in text
    completion = (
        "Reasoning 1: Looking at x, we find 3.\nStatement 1: X is 3.\nVerification 1: The claim is "
        "true\n"
        "Reasoning 2: Looking at y.\nStatement 2: Y is 4.\nVerification 2: The claim is false\n"
    )
    parsed = template.parse(completion)
    assert (
        parsed.ok and parsed.label == "X is 3." and parsed.rationale == "Looking at x, we find 3."
    )
    assert [t["verified"] for t in parsed.fields["triples"]] == [True, False]
    assert not template.parse("I cannot read this table.").ok
