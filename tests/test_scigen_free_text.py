"""SciGen's free-text reasoning (`method.options.reasoning: free_text`): how an answer that follows
no template is read, joined to the training tables, checked in the config, labelled, and kept out of
the identity of the cells that ran before the option existed."""

from __future__ import annotations

import json

import pytest
from datasets import Dataset

from distill_lib.config import load_config
from distill_lib.config_values import ConfigError
from distill_lib.papers.scigen.labels import FREE_TEXT, LOCAL_TEACHER, system_label, teacher_note
from distill_lib.papers.scigen.parsers import free_text_reasoning
from distill_lib.papers.scigen.splits import attach_free_text
from distill_lib.runs import grid_cells, identity_settings

FREE = {"reasoning": "free_text", "filter_verified": False, "free_text_words": 100}


def smoke(**overrides):
    return load_config("configs/scigen.yaml", "smoke", overrides)


def test_repeats_table_rows_and_the_cut_off_sentence_are_dropped():
    answer = (
        "1. The table shows A beats B.\n2. The table shows  a beats b.\n"
        "| A | 1.0 |\n| B | 0.5 |\n"
        "B is second. The table shows A beats B. The results are sh"
    )
    assert free_text_reasoning(answer, 100) == "The table shows A beats B. B is second."
    assert free_text_reasoning(answer, 4) == "The table shows A"
    assert free_text_reasoning("no sentence ends", 100) == ""


def test_each_table_gets_its_first_answer_and_unanswered_tables_get_nothing(tmp_path):
    rows = [
        {"id": "train-1", "completions": ["A wins. A wins. B loses.", "other sample."]},
        {"id": "train-2", "completions": []},  # a failed request
    ]
    (tmp_path / "teacher_outputs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    split = Dataset.from_list([{"id": i, "rationale": ""} for i in ("train-1", "train-2", "x")])
    joined = attach_free_text(split, tmp_path, max_words=100)
    assert joined["rationale"] == ["A wins. B loses.", "", ""]
    assert joined["source"] == ["teacher-free-text", "teacher-missing", "teacher-missing"]
    assert joined["teacher_triples"] == [0, 0, 0]
    with pytest.raises(FileNotFoundError, match="10_scigen_teacher"):
        attach_free_text(split, tmp_path / "nowhere", max_words=100)


@pytest.mark.parametrize(
    "options, named",
    [
        ({"reasoning": "free_text"}, "filter_verified: false"),  # free text has nothing verified
        ({"reasoning": "vibes"}, "method.options.reasoning = 'vibes'"),
        ({**FREE, "free_text_words": 0}, "free_text_words = 0"),
    ],
)
def test_bad_reasoning_options_are_refused_when_the_config_loads(options, named):
    with pytest.raises(ConfigError, match=named):
        smoke(**{"method.options": options})


def test_the_option_enters_a_cells_identity_only_when_set():
    plain = smoke()
    assert "reasoning" not in identity_settings(plain)["method"]["options"]
    assert "free_text_words" not in identity_settings(plain)["method"]["options"]
    free = smoke(**{"method.options": FREE})
    assert identity_settings(free)["method"]["options"]["reasoning"] == "free_text"


def test_the_cpu_grids_distilled_cells_read_free_text_and_say_so():
    cells = grid_cells(load_config("configs/scigen.yaml", "cpu"))
    for cell in cells:
        distilled = cell.method.name != "scigen_plain"
        assert (cell.method.options.reasoning == "free_text") == distilled
        assert (FREE_TEXT in teacher_note(cell, cell.method.name)) == distilled
    row = system_label("scigen_reasoning_output", local=True, free_text=True)
    assert LOCAL_TEACHER in row and FREE_TEXT in row
    assert FREE_TEXT not in system_label("scigen_plain", local=True, free_text=True)
