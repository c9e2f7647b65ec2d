"""CoT answer extraction and answer comparison (distill_lib.verify.answer)."""

import pytest

from distill_lib.verify.answer import answers_match, extract_cot_answer, parse_number


@pytest.mark.parametrize(
    "text, expected",
    [
        ("So she has 9 apples. The answer is 9.", 9.0),
        ("The answer is 1,200.", 1200.0),
        ("The answer is $18.50 per day", 18.5),
        ("Therefore, the answer is <203>.", 203.0),
        ("He loses 5 dollars, so the answer is -5.", -5.0),
        ("the answer is 3/4 of a cup", 0.75),
        ("The answer is 12 kg, not 13 kg.", 12.0),
        ("First 3 then 4. The answer is 7. Later text mentions 99.", 7.0),
        ("The answer is 5. Actually, the answer is 6.", 6.0),
        ("No cue here: 3 + 4 = 7 cookies.", 7.0),
        ("3-4 apples", 4.0),
        ("x-5 gives 2.", 2.0),
        ("The answer is .5", 0.5),
    ],
)
def test_extracts_the_final_answer(text, expected):
    assert extract_cot_answer(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["", "no numbers at all", "The answer is unknown"])
def test_no_number_gives_none(text):
    assert extract_cot_answer(text) is None


def test_answer_cue_without_number_falls_back_to_last_number():
    assert extract_cot_answer("We get 42 in total. The answer is forty-two.") == 42.0


def test_parse_number_and_zero_denominator():
    assert parse_number("9 (apples)") == 9.0
    assert parse_number("-1,234.5 kg") == -1234.5
    assert parse_number("1/0") is None


def test_answers_match_tolerance_and_missing():
    assert answers_match(72.0, 72.0004)
    assert not answers_match(72.0, 72.01)
    assert not answers_match(None, 72.0)
    assert not answers_match(72.0, None)
    assert not answers_match(float("nan"), float("nan"))
    assert answers_match(0.1 + 0.2, 0.3)
