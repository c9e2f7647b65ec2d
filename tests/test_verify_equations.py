"""The EoT equation solver (eotd.md §2.4): answers, parsing rules, and named failures."""

import time

import pytest

from distill_lib.verify.batch import verify_many
from distill_lib.verify.equations import EquationPool, equation_sides, parse_system

# Our own equation systems for the 8 GSM8K problems behind XoT's EoT exemplars (written here, not copied);
# the answers are the exemplars' answers: 5, 72, 3, 46, 20, 160, 121, 5.
EXEMPLAR_SYSTEMS = [
    ("""% Assume she bought x boxes; each box holds 10 pencils
pencil_per_box = 10
% she had 20 pencils and ends up with 70
20 + pencil_per_box * x = 70
ans = x""", 5),
    ("""% 3 dogs a day, 6 days a week, $4 per dog walk
dogs_per_day = 3
days = 6
pay_per_dog = $4
weekly_pay = dogs_per_day * days * pay_per_dog
ans = weekly_pay""", 72),
    ("""% 27 deliveries in all; meals are 8 times the packages
packages + meals = 27
meals = 8 * packages
ans = packages""", 3),
    ("""% Dexter is 8; Darcy is twice Dexter; last year Dallas was 3 times Darcy's age then
dexter = 8
darcy = 2 * dexter
dallas - 1 = 3(darcy - 1)
ans = dallas""", 46),
    ("""% 100 nuggets: Alyssa ate x, Keely and Kendall 2x each
x + 2x + 2x = 100
ans = x""", 20),
    ("""% the sister's sunflower is 25% taller than a 128 inch one
small = 128
tall = small + 25% * small
ans = tall""", 160),
    ("""% 847 people over three ships, each ship twice the one before
first = x
second = 2 * first
third = 2 * second
first + second + third = 847
ans = first""", 121),
    ("""% $95 shoes plus $15 change = allowance 3 months x $5 + 4 lawns x $15 + driveways x $7
S = 95 + 15
S = 3 * 5 + 4 * 15 + 7 * driveways
ans = driveways""", 5),
]


@pytest.fixture(scope="module")
def pool():
    with EquationPool(workers=2, timeout_s=2.0) as equation_pool:
        yield equation_pool


def test_the_eight_exemplar_systems(pool):
    results = pool.map([text for text, _ in EXEMPLAR_SYSTEMS])
    assert [r.answer for r in results] == [float(answer) for _, answer in EXEMPLAR_SYSTEMS]


@pytest.mark.parametrize("text, expected", [
    ("pencil_per_box = 10\nboxes = 3\nans = pencil_per_box * boxes", 30),
    ("E = 3\nI = 2 * E\nN = 1,000\nS = I + N\nans = S", 1006),
    ("lambda = 4\nans = lambda + 1", 5),
    ("x * y = 12\nx = 3\nans = y", 4),
    ("price = 3(10)\nans = price", 30),
    ("ans = sqrt(16) + 1", 5),
    ("total = 0.5 * 9\nans = total", 4.5),
    ("% a comment line with = inside\n# another\nsome words without equals\nans = 2 + 2", 4),
])
def test_systems_solve(pool, text, expected):
    result = pool.run(text)
    assert result.ok and result.answer == pytest.approx(expected)


def test_long_names_stay_one_symbol():
    (residual,) = parse_system("pencil_per_box = 10")
    assert {s.name for s in residual.free_symbols} == {"pencil_per_box"}


def test_chained_equals_keep_the_first_two_sides():
    assert equation_sides("a = b = 5")[0][1:] == ("a", "b")


@pytest.mark.parametrize("text, status", [
    ("x = 3\nx = 4\nans = x", "unsolvable"),
    ("x + y = 2\nx + y = 3\nans = x", "unsolvable"),
    ("x + y = 10\nans = x", "underdetermined"),
    ("x = 3\ny = x + 1", "no_answer"),
    ("x = 3 +\nans = x", "unparsable"),
    ("x = __import__('os').system('true')\nans = x", "unparsable"),
    ("x = ().__class__\nans = x", "unparsable"),
    ("x = y.real\nans = x", "unparsable"),
    ("x**2 = -4\nans = x", "non_numeric"),
])
def test_named_failures(pool, text, status):
    assert pool.run(text).status == status


def test_hard_solve_times_out_within_bound(pool):
    text = "x**7 + 3*x**5*y - y**3 + z*x = 17\nx*y**4 + x**3*z = 5\nz**3*y + x = 2\nans = x"
    start = time.monotonic()
    result = pool.run(text, timeout_s=0.5)
    assert result.status == "timeout"
    assert time.monotonic() - start < 3
    assert pool.run("ans = 1 + 1").answer == 2.0  # the worker still serves


def test_solve_equations_one_shot():
    assert verify_many("eot", ["2x = 10\nans = x"], workers=1)[0].answer == 5.0
