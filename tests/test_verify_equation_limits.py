"""The EoT equation solver's bounds: high-degree polynomials, size limits, deadlines and the
confined child that does the work."""

import os
import time

import pytest

from distill_lib.verify.equations import EquationPool


@pytest.fixture(scope="module")
def pool():
    with EquationPool(workers=2, timeout_s=2.0) as equation_pool:
        yield equation_pool


def test_hard_solve_times_out_within_bound(pool):
    text = "x**7 + 3*x**5*y - y**3 + z*x = 17\nx*y**4 + x**3*z = 5\nz**3*y + x = 2\nans = x"
    start = time.monotonic()
    result = pool.run(text, timeout_s=0.5)
    assert result.status == "timeout"
    assert time.monotonic() - start < 3
    assert pool.run("ans = 1 + 1").answer == 2.0  # the worker still serves


@pytest.mark.parametrize(
    "text, expected",
    [
        ("x**60 = 1\nans = x", 1.0),  # roots -1 and 1: the only non-negative one counts
        ("x**61 + x = 5\nans = x", 1.0228901037330125),
        ("y = 1\nx**7 * 2 = 0.5 + y\nans = x * 10", 10 * 0.75 ** (1 / 7)),
        ("x**6 = 64\nz = x * 2\nans = z", 4.0),
        # the repeat is checked at the root
        ("x**5 + x = 3\n2x**5 + 2x = 6\nans = x", 1.1329975658850653),
    ],
)
def test_high_degree_polynomials_give_a_real_root(pool, text, expected):
    result = pool.run(text)
    assert result.ok, result
    assert result.answer == pytest.approx(expected)


@pytest.mark.parametrize(
    "text, status, words",
    [
        ("x**60 = -1\nans = x", "non_numeric", "no real root"),
        ("x**500 = 2\nans = x", "too_complex", "degree"),
        ("(x + 1)**400 = 2\nans = x", "too_complex", "degree"),
        # roots -1, 0 and 1: two are non-negative
        ("x**5 - x = 0\nx > 0\nans = x + 1", "ambiguous", "2 of them non-negative"),
    ],
)
def test_high_degree_polynomials_without_a_root_say_why(pool, text, status, words):
    result = pool.run(text)
    assert result.status == status and words in result.detail, result


@pytest.mark.parametrize(
    "text",
    [
        "ans = " + "(" * 10_000 + "1" + ")" * 10_000,
        "ans = " + "(" * 60 + "1" + ")" * 60,
        "ans = " + " + ".join(["1"] * 400),
        "x = 1\n" * 5_000 + "ans = x",
    ],
)
def test_too_long_or_too_deeply_nested_systems_are_too_complex(pool, text):
    result = pool.run(text)
    assert result.status == "too_complex", result


def test_long_parse_error_keeps_its_cause(pool):
    result = pool.run("x = " + " + ".join(f"value_{i}" for i in range(40)) + " + * 3\nans = x")
    assert result.status == "unparsable"
    assert result.detail.startswith("line 1") and "Error" in result.detail[-120:], result
    assert len(result.detail) <= 300


def _own_cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process itself (not of its children), from /proc."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_solving_runs_in_a_confined_child_that_the_worker_outlives(pool):
    hard = "x**7 + 3*x**5*y - y**3 + z*x = 17\nx*y**4 + x**3*z = 5\nz**3*y + x = 2\nans = x"
    workers = list(pool.idle.queue)
    before = [_own_cpu_seconds(worker.process.pid) for worker in workers]
    start = time.monotonic()
    assert pool.run(hard, timeout_s=1.0).status == "timeout"
    assert pool.run("x = 10**10**9\nans = x", timeout_s=1.0).status == "timeout"
    assert time.monotonic() - start < 5
    # the work happened in children: the workers' own CPU time hardly moved, and they are the same
    # processes
    assert all(
        _own_cpu_seconds(w.process.pid) - b < 0.3 for w, b in zip(workers, before, strict=True)
    )
    assert sorted(w.process.pid for w in pool.idle.queue) == sorted(w.process.pid for w in workers)
