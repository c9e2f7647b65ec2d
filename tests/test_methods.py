"""Methods: rows per record, prefixes, label sources, single-task read-back, math triggers, NLI
pairs."""

from __future__ import annotations

import pytest

from distill_lib.config_sections import MethodConfig
from distill_lib.papers.index import METHOD_PAPER, build_method
from distill_lib.papers.math.methods import TRIGGERS, math_input
from distill_lib.train.batching import encode_row, source_text

RECORD = {
    "input": "Q?",
    "input_b": "",
    "label": "gold",
    "llm_label": "palm",
    "rationale": "because",
    "format": "cot",
}


def test_standard_finetuning_and_distillation_targets():
    assert [r.target for r in build_method(MethodConfig(name="standard_ft")).rows(RECORD)] == [
        "gold"
    ]
    cfg = MethodConfig(name="standard_distill")
    assert [r.target for r in build_method(cfg).rows(RECORD)] == ["palm"]
    assert cfg.label_source == "gold"  # building a method never mutates the caller's config


def test_dss_rows_prefixes_and_weights():
    method = build_method(MethodConfig(name="dss", alpha=0.3))
    rows = method.rows(RECORD)
    assert [(r.source, r.target, r.task) for r in rows] == [
        ("predict: Q?", "gold", 0),
        ("explain: Q?", "because", 1),
    ]
    assert method.weights == [0.3, pytest.approx(0.7)]
    assert method.prompt(RECORD, "label").source == "predict: Q?"
    custom = build_method(
        MethodConfig(name="dss", label_prefix="[label] ", rationale_prefix="[rationale] ")
    )
    assert custom.rows(RECORD)[1].source == "[rationale] Q?"


def test_single_task_target_and_read_back():
    method = build_method(MethodConfig(name="single_task"))
    assert method.rows(RECORD)[0].target == "because So the answer is gold"
    assert method.read_label("x y. So the answer is wooded area.") == "wooded area"
    assert method.read_label("no marker") == "no marker"


def test_math_triggers_are_the_model_card_strings():
    assert math_input("q", "pot") == "Question: q\nLet\u2019s break down the code step by step\n"
    assert TRIGGERS["cot"] == "Let's think step by step."
    assert TRIGGERS["eot"] == "System of linear equations: (Do not simplify)"
    etd = build_method(MethodConfig(name="etd"))
    assert [r.source for r in etd.rows({**RECORD, "format": "eot"})] == [math_input("Q?", "eot")]
    # a CoT record is not PoTD data
    assert build_method(MethodConfig(name="potd")).rows(RECORD) == []


def test_nli_pair_is_joined_with_the_eos_string(tiny_tokenizer):
    method = build_method(MethodConfig(name="standard_ft"))
    row = method.rows({**RECORD, "input": "premise", "input_b": "hypothesis"})[0]
    assert source_text(row, tiny_tokenizer.eos_token) == "premise</s>hypothesis"


def test_causal_rows_mask_the_prompt(tiny_tokenizer):
    row = build_method(MethodConfig(name="standard_ft")).rows(RECORD)[0]
    encoded = encode_row(row, tiny_tokenizer, is_seq2seq=False, max_input=32, max_target=8)
    prompt_len = sum(1 for x in encoded["labels"] if x == -100)
    assert prompt_len > 0 and encoded["labels"][prompt_len:] == encoded["input_ids"][prompt_len:]
    assert encoded["labels"][-1] == tiny_tokenizer.eos_token_id


def test_unknown_method_is_a_clear_error():
    with pytest.raises(KeyError, match="unknown method 'nope'"):
        build_method(MethodConfig(name="nope"))


@pytest.mark.parametrize("name", sorted(METHOD_PAPER))
def test_every_method_follows_the_contract(name):
    """formats, rows(record) and prompt(record, fmt) for every format, read_label on text: one
    contract."""
    method = build_method(MethodConfig(name=name))
    record = {
        **RECORD,
        "format": method.formats[0] if method.formats[0] != "label" else "cot",
        "answer": 1.0,
        "table": "{}",
    }
    assert method.formats and all(isinstance(f, str) for f in method.formats)
    prompts = [method.prompt(record, fmt) for fmt in method.formats]
    assert all(p.target == "" and p.source for p in prompts)
    assert isinstance(method.read_label(" x "), str) and len(method.weights) >= 1


def test_etd_without_chain_of_thought_data_is_tested_on_what_it_trained_on():
    etd = build_method(MethodConfig(name="etd"))
    # a pool without CoT thoughts
    records = [{**RECORD, "format": "pot"}, {**RECORD, "format": "eot"}]
    fitted = etd.fitted_to(records)
    assert fitted.formats == ("pot", "eot") and fitted.absent_formats == ("cot",)
    assert etd.formats == ("cot", "pot", "eot")  # the built method is left as it was
    dss = build_method(MethodConfig(name="dss"))
    assert dss.fitted_to(records) is dss and dss.absent_formats == ()


@pytest.mark.parametrize("name", ["standard_ft", "dss", "single_task"])
def test_a_text_pair_can_name_its_fields(name):
    """`method.options.pair_format: fields` writes premise and hypothesis out with their names
    (no EOS string mid-input); 'eos' keeps the reference's pair for the featurizer's join."""
    pair = {**RECORD, "input": "A man sleeps.", "input_b": "A person rests."}
    named = build_method(MethodConfig(name=name, options={"pair_format": "fields"}))
    prompt = named.prompt(pair, "label")
    assert prompt.source.endswith("Premise: A man sleeps.\nHypothesis: A person rests.")
    assert prompt.source_b == "" and all(r.source_b == "" for r in named.rows(pair))
    kept = build_method(MethodConfig(name=name)).prompt(pair, "label")
    assert kept.source.endswith("A man sleeps.") and kept.source_b == "A person rests."


def test_an_unknown_pair_format_is_refused():
    from distill_lib.config import load_config
    from distill_lib.config_values import ConfigError

    with pytest.raises(ConfigError, match="pair_format"):
        load_config("configs/dss.yaml", "smoke", {"method.options.pair_format": "comma"})
