"""The program sandbox on ordinary Python: non-ASCII names and the harmless built-ins verify, and
the escapes they could open stay closed (issue 30)."""

import subprocess
import sys
from pathlib import Path

import pytest

from distill_lib.verify.batch import WARM_UP, worker_env
from distill_lib.verify.policy import check_program
from distill_lib.verify.sandbox import SAFE_BUILTINS, ProgramPool


@pytest.fixture(scope="module")
def pool():
    with ProgramPool(workers=1, timeout_s=2.0, memory_mb=256) as program_pool:
        yield program_pool


@pytest.mark.parametrize(
    "code, expected",
    [
        ("π = 3.14\nans = π * 2", 6.28),  # was "Too many open files" in the child
        ("café = 3\nans = café + 1", 4.0),
        ("def solution():\n    α, β = 2, 3\n    return α * β", 6.0),
        ("ans = len('café'.encode('utf-8'))", 5.0),
        ("résultat = 7\nprint('résultat :', résultat)\nans = résultat", 7.0),
    ],
)
def test_non_ascii_programs_verify(pool, code, expected):
    result = pool.run(code)
    assert result.ok and result.answer == pytest.approx(expected), result


ROOT_CAUSE = """
import sys
from distill_lib.verify.isolation import run_isolated
from distill_lib.verify.sandbox import execute_here
execute_here("ans = 1")  # the ASCII path warm, as in a worker
code = "π = 3\\nans = π + 1"
before = run_isolated(execute_here, code, timeout_s=5.0, memory_mb=256)
compile("π = 1", "<warm-up>", "exec")
print("unicodedata" in sys.modules, before.status, before.detail)
print(run_isolated(execute_here, code, timeout_s=5.0, memory_mb=256).answer)
"""


def test_non_ascii_names_need_unicodedata_loaded_before_the_child_is_confined():
    """The compiler imports unicodedata to normalise a non-ASCII name (NFKC); a confined child
    cannot import (no free descriptor, no file system), so the worker's warm-up compiles one."""
    assert any(not text.isascii() for text in WARM_UP["program"])
    env = {**worker_env(), "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    out = subprocess.run(
        [sys.executable, "-c", ROOT_CAUSE], env=env, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out[0].startswith("True error") and "open files" in out[0], out
    assert out[1] == "4.0", out


@pytest.mark.parametrize(
    "code, expected",
    [
        ("ans = next(iter([5, 6]))", 5.0),
        ("x = [1, 2, 3]\nans = next((i for i in x if i > 1), None)", 2.0),
        ("ans = ord('a') - ord('A') + len(chr(66))", 33.0),
        ("it = iter([1, 2, 3])\nnext(it)\nans = sum(it)", 5.0),
        ("ans = int(bin(5), 2) + int(hex(31), 16) + int(oct(8), 8)", 44.0),
        ("ans = float(format(2.456, '.2f'))", 2.46),
        ("ans = len(repr(1.5)) + callable(abs)", 4.0),
        ("ans = sum(a * b for a, b in zip(range(3), reversed(range(3))))", 1.0),
        ("ans = divmod(17, 5)[0] + pow(2, 10, 7) + round(2.5) + max(enumerate([4, 9]))[1]", 16.0),
        ("ans = sum(map(int, filter(str.isdigit, sorted('a1b2c3'))))", 6.0),
        ("ans = all([1, 2]) + any([0]) + isinstance(3, int)", 2.0),
        ("try:\n    ans = [][1]\nexcept LookupError:\n    ans = 7", 7.0),
        ("try:\n    raise RuntimeError('x')\nexcept RuntimeError:\n    ans = 8", 8.0),
    ],
)
def test_programs_with_ordinary_built_ins_verify(pool, code, expected):
    result = pool.run(code)
    assert result.ok and result.answer == pytest.approx(expected), result


@pytest.mark.parametrize("name", ["getattr", "vars", "eval", "open", "type", "globals", "hasattr"])
def test_name_lookup_built_ins_stay_out(name):
    assert name not in SAFE_BUILTINS


@pytest.mark.parametrize(
    "code",
    [
        "ans = ｅｖａｌ('1 + 1')",  # fullwidth letters: Python reads the name as `eval`
        "ans = ｏｐｅｎ('/etc/passwd').read()",
        "ans = ()._＿class＿＿",
        "g = (i for i in [1])\nans = g.ｇｉ_frame",
        "import ｏｓ\nans = 1",
        "ans = format(1, '{0.__class__}')",
        "ans = next(iter(int.__subclasses__()))",
    ],
)
def test_non_ascii_spellings_and_new_built_ins_do_not_escape(pool, code):
    assert check_program(code) is not None
    assert pool.run(code).status == "forbidden"


def test_a_format_spec_built_at_run_time_looks_nothing_up(pool):
    code = "u = '_' * 2\nans = len(format((), '{0.' + u + 'class' + u + '}'))"
    result = pool.run(code)
    assert result.status == "error" and not result.ok, result


def test_a_worker_ignores_sigint_so_a_kernel_shutdown_prints_no_traceback():
    """A Jupyter kernel's shutdown sends SIGINT to its whole process group, warm workers included:
    a worker keeps serving instead of dying with a KeyboardInterrupt traceback."""
    import os
    import signal
    import time

    from distill_lib.verify.batch import _Worker

    worker = _Worker("program", 256)
    try:
        os.kill(worker.process.pid, signal.SIGINT)
        time.sleep(0.5)
        assert worker.process.poll() is None
        assert worker.request("ans = 6 * 7", 5.0, 256).answer == 42
    finally:
        worker.close()
