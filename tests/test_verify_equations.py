"""The EoT equation solver (eotd.md §2.4): answers, parsing rules, and named failures."""

import pytest

from distill_lib.verify.batch import verify_many
from distill_lib.verify.equations import EquationPool, equation_sides, parse_system

# Our own equation systems for the 8 GSM8K problems behind XoT's EoT exemplars (written here, not
# copied); the answers are the exemplars' answers: 5, 72, 3, 46, 20, 160, 121, 5.
EXEMPLAR_SYSTEMS = [
    (
        """% Assume she bought x boxes; each box holds 10 pencils
pencil_per_box = 10
% she had 20 pencils and ends up with 70
20 + pencil_per_box * x = 70
ans = x""",
        5,
    ),
    (
        """% 3 dogs a day, 6 days a week, $4 per dog walk
dogs_per_day = 3
days = 6
pay_per_dog = $4
weekly_pay = dogs_per_day * days * pay_per_dog
ans = weekly_pay""",
        72,
    ),
    (
        """% 27 deliveries in all; meals are 8 times the packages
packages + meals = 27
meals = 8 * packages
ans = packages""",
        3,
    ),
    (
        """% Dexter is 8; Darcy is twice Dexter; last year Dallas was 3 times Darcy's age then
dexter = 8
darcy = 2 * dexter
dallas - 1 = 3(darcy - 1)
ans = dallas""",
        46,
    ),
    (
        """% 100 nuggets: Alyssa ate x, Keely and Kendall 2x each
x + 2x + 2x = 100
ans = x""",
        20,
    ),
    (
        """% the sister's sunflower is 25% taller than a 128 inch one
small = 128
tall = small + 25% * small
ans = tall""",
        160,
    ),
    (
        """% 847 people over three ships, each ship twice the one before
first = x
second = 2 * first
third = 2 * second
first + second + third = 847
ans = first""",
        121,
    ),
    (
        """% $95 shoes plus $15 change = allowance 3 months x $5 + 4 lawns x $15 + driveways x $7
S = 95 + 15
S = 3 * 5 + 4 * 15 + 7 * driveways
ans = driveways""",
        5,
    ),
]


@pytest.fixture(scope="module")
def pool():
    with EquationPool(workers=2, timeout_s=2.0) as equation_pool:
        yield equation_pool


def test_the_eight_exemplar_systems(pool):
    results = pool.map([text for text, _ in EXEMPLAR_SYSTEMS])
    assert [r.answer for r in results] == [float(answer) for _, answer in EXEMPLAR_SYSTEMS]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("pencil_per_box = 10\nboxes = 3\nans = pencil_per_box * boxes", 30),
        ("E = 3\nI = 2 * E\nN = 1,000\nS = I + N\nans = S", 1006),
        ("lambda = 4\nans = lambda + 1", 5),
        ("x * y = 12\nx = 3\nans = y", 4),
        ("price = 3(10)\nans = price", 30),
        ("ans = sqrt(16) + 1", 5),
        ("total = 0.5 * 9\nans = total", 4.5),
        ("% a comment line with = inside\n# another\nsome words without equals\nans = 2 + 2", 4),
    ],
)
def test_systems_solve(pool, text, expected):
    result = pool.run(text)
    assert result.ok and result.answer == pytest.approx(expected)


def test_long_names_stay_one_symbol():
    (residual,) = parse_system("pencil_per_box = 10")
    assert {s.name for s in residual.free_symbols} == {"pencil_per_box"}


def test_chained_equals_keep_the_first_two_sides():
    assert equation_sides("a = b = 5")[0][1:] == ("a", "b")


@pytest.mark.parametrize(
    "text, status",
    [
        ("x = 3\nx = 4\nans = x", "unsolvable"),
        ("x + y = 2\nx + y = 3\nans = x", "unsolvable"),
        ("x + y = 10\nans = x", "underdetermined"),
        ("x = 3\ny = x + 1", "no_answer"),
        ("x = 3 +\nans = x", "unparsable"),
        ("x = __import__('os').system('true')\nans = x", "unparsable"),
        ("x = ().__class__\nans = x", "unparsable"),
        ("x = y.real\nans = x", "unparsable"),
        ("x**2 = -4\nans = x", "non_numeric"),
        # a value past Python's int-to-str limit in the detail
        ("y = 10**5000\nans = x * y", "underdetermined"),
    ],
)
def test_named_failures(pool, text, status):
    assert pool.run(text).status == status


def test_solve_equations_one_shot():
    assert verify_many("eot", ["2x = 10\nans = x"], workers=1)[0].answer == 5.0


@pytest.mark.parametrize(
    "text",
    [
        "ans = 1 .evalf(50)",
        "x1 = 4\nans = sqrt(x1 ._repr_latex_())",
        "ans = 1. evalf(50)",
        "ans = 1.5.real",
        "ans = 2 . real",
        "ans = 2\t.\tconjugate()",
        "x = 3\nans = x .conjugate()",
    ],
)
def test_every_attribute_access_is_rejected(pool, text):
    result = pool.run(text)
    assert result.status == "unparsable" and "attribute access" in result.detail, result


@pytest.mark.parametrize(
    "text, expected",
    [("ans = 2.5 * 2", 5.0), ("x = .5\nans = x * 4", 2.0), ("ans = 1.25e2", 125.0)],
)
def test_dots_inside_numbers_stay_allowed(pool, text, expected):
    result = pool.run(text)
    assert result.ok and result.answer == pytest.approx(expected)


@pytest.mark.parametrize(
    "text, expected",
    [("x = 2^3\nans = x", 8.0), ("ans = 2^3^2", 512.0), ("x^2 = 49\nans = x^2 + 1", 50.0)],
)
def test_caret_means_power(pool, text, expected):
    result = pool.run(text)
    assert result.ok and result.answer == pytest.approx(expected)


def test_non_finite_answers_are_non_numeric_in_both_paths(pool):
    from distill_lib.verify.sandbox import run_program

    assert pool.run("ans = 2**2000").status == "non_numeric"
    assert pool.run("x = 10^400\nans = x * 2").status == "non_numeric"
    assert run_program("ans = 2**2000").status == "non_numeric"


# issue 30, point 5: answers the solver used to mark `ok` wrongly; each failure has its own status


def test_parser_names_do_not_shadow_variables(pool):
    result = pool.run("Integer = 7\nans = Integer + 1")  # was 0
    assert result.ok and result.answer == 8.0, result


@pytest.mark.parametrize("text", ["ans = 0x1F", "ans = 0X1f + 1", "ans = 0o17", "ans = 0b101"])
def test_hex_octal_and_binary_literals_are_refused(pool, text):
    result = pool.run(text)  # `0x1F` was 0, read as 0*x1F
    assert result.status == "unparsable" and "hex, octal or binary" in result.detail, result


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ans = 017", 17.0),  # was 0, read as 0*17; never octal 15
        ("x = 08 + 1\nans = x", 9.0),
        ("ans = 007.5", 7.5),
        ("ans = 1_000 + 0_7", 1007.0),  # was `1*_000`, an unknown
        ("ans = 0.05 * 100", 5.0),
        ("ans = 1.05 + 2017", 2018.05),
        ("x_017 = 2\nans = x_017", 2.0),
    ],
)
def test_decimal_literals_are_read_in_decimal(pool, text, expected):
    result = pool.run(text)
    assert result.ok and result.answer == pytest.approx(expected), result


@pytest.mark.parametrize(
    "text",
    ["x = 0\nans = x / x", "ans = 0/0", "ans = 1/0", "ans = 5 / (2 - 2)", "y = 1/0\nans = 2"],
)
def test_division_by_zero_is_undefined(pool, text):
    result = pool.run(text)  # `x / x` at x = 0 was 1
    assert result.status == "undefined" and "division by" in result.detail, result
    assert result.answer is None


@pytest.mark.parametrize(
    "text", ["ans = ans + 1", "x = 10\nx = x + 5\nans = x", "ans = 2ans - ans + 3"]
)
def test_a_name_defined_by_itself_is_a_self_reference(pool, text):
    result = pool.run(text)  # `ans = ans + 1` was no_answer
    assert result.status == "self_reference" and result.answer is None, result
    assert "line" in result.detail and "cancels" in result.detail, result


@pytest.mark.parametrize("text", ["3 = 4\nans = 1", "x - x = 1\nans = x"])
def test_a_false_equation_without_a_name_on_both_sides_is_unsolvable(pool, text):
    assert pool.run(text).status == "unsolvable"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("x**2 = 16\nans = x", 4.0),  # was -4
        ("x**2 + x - 6 = 0\nans = x", 2.0),  # roots -3 and 2
        ("x = 2 * y\ny**2 = 9\nans = x + y", 9.0),  # (x, y) = (6, 3) or (-6, -3)
    ],
)
def test_the_only_non_negative_root_counts(pool, text, expected):
    result = pool.run(text)
    assert result.ok and result.answer == expected, result


@pytest.mark.parametrize(
    "text, non_negative",
    [
        ("x**2 - 5x + 6 = 0\nans = x", 2),  # roots 2 and 3
        ("x**2 - x = 0\nans = x", 2),  # roots 0 and 1: 0 is non-negative too
        ("(x + 1)(x + 2) = 0\nans = x", 0),  # roots -2 and -1
    ],
)
def test_several_real_roots_without_exactly_one_non_negative_are_ambiguous(
    pool, text, non_negative
):
    result = pool.run(text)
    assert result.status == "ambiguous" and result.answer is None, result
    assert f"{non_negative} of them non-negative" in result.detail, result
