"""The program sandbox: answers, named failures, escapes that must not work, and the worker pool."""

import os
import shutil
import time
import uuid

import pytest

from distill_lib.verify import isolation
from distill_lib.verify.batch import VerifierPool
from distill_lib.verify.isolation import run_isolated
from distill_lib.verify.policy import check_program
from distill_lib.verify.result import VerifyResult
from distill_lib.verify.sandbox import ProgramPool, execute_here, run_program

TIMEOUT_S = 1.0


@pytest.fixture(scope="module")
def pool():
    with ProgramPool(workers=2, timeout_s=TIMEOUT_S, memory_mb=256) as program_pool:
        yield program_pool


@pytest.mark.parametrize(
    "code, expected",
    [
        ("a = 3\nb = 4\nans = a * b", 12.0),
        ("def solution():\n    x = 29\n    result = x * 7\n    return result", 203.0),
        ("def solve():\n    answer = 48 / 2 + 48\n    return answer", 72.0),
        ("from fractions import Fraction\nans = Fraction(80, 100) * 10", 8.0),
        ("import math\nans = math.ceil(7 / 2) + math.sqrt(16)", 8.0),
        ("total = 0\nfor i in range(5):\n    total += i\nans = total", 10.0),
        ("ans = -2.5\ndef solve():\n    return 99", -2.5),
    ],
)
def test_programs_give_their_answer(pool, code, expected):
    result = pool.run(code)
    assert result.ok and result.answer == pytest.approx(expected)


@pytest.mark.parametrize(
    "code, status",
    [
        ("x = 1", "no_answer"),
        ("ans = 'five'", "non_numeric"),
        ("ans = [1, 2]", "non_numeric"),
        ("ans = True", "non_numeric"),
        ("ans = float('inf')", "non_numeric"),
        ("ans = 1 / 0", "error"),
        ("ans = (", "error"),
        ("def solve():\n    return undefined_name", "error"),
    ],
)
def test_named_failures(pool, code, status):
    result = pool.run(code)
    assert result.status == status and result.answer is None


@pytest.mark.parametrize(
    "code",
    [
        "import os\nans = 1",
        "import subprocess\nans = 1",
        "import socket\nans = 1",
        "from os import system\nans = 1",
        "ans = __import__('os')",
        "ans = ().__class__.__base__.__subclasses__()",
        "ans = eval('1 + 1')",
        "exec('ans = 1')",
        "ans = getattr(1, 'real')",
        "ans = globals()",
        "ans = '{0.__class__}'.format(1)",
        "g = (i for i in [1])\nans = g.gi_frame",
        "from operator import attrgetter\nans = 1",
        "class A:\n    pass\nans = 1",
        "ans = len(b'__globals__'.decode())",
        "from functools import update_wrapper\nans = 1",
    ],
)
def test_forbidden_constructs_are_rejected_before_running(pool, code):
    assert check_program(code) is not None
    assert pool.run(code).status == "forbidden"


@pytest.mark.parametrize(
    "code", ["import fractions\nans = fractions.sys.modules", "from fractions import sys\nans = 1"]
)
def test_module_namespaces_hide_submodules(pool, code):
    result = pool.run(code)
    assert result.status in ("error", "forbidden") and "sys" in result.detail


# Found in review: update_wrapper copies attributes named by run-time strings, e.g. a module's
# globals.
ESCAPE_THROUGH_UPDATE_WRAPPER = """import functools, statistics
u = "_" * 2
def f():
    return 0
functools.update_wrapper(f, statistics.mean, (), (u + "globals" + u,))
ans = len(sys.modules["os"].getcwd())
"""


@pytest.mark.parametrize(
    "code",
    [
        ESCAPE_THROUGH_UPDATE_WRAPPER,
        "import operator\nans = operator.methodcaller('x')",
        "import statistics\nans = statistics.Counter",
        "import decimal\nans = decimal.sys",
    ],
)
def test_string_named_attribute_access_is_not_reachable(pool, code):
    result = pool.run(code)
    assert result.status in ("error", "forbidden") and not result.ok
    # the namespace itself, without the sandbox
    assert execute_here(code).status in ("error", "forbidden")


def test_file_writes_are_blocked(pool, tmp_path):
    target = tmp_path / "pwned.txt"
    assert pool.run(f"f = open({str(target)!r}, 'w')\nans = 1").status == "forbidden"
    assert not target.exists()


@pytest.mark.parametrize("code", ["while True:\n    pass", "ans = 10 ** 10 ** 9"])
def test_endless_work_times_out_within_bound(pool, code):
    start = time.monotonic()
    result = pool.run(code)
    assert result.status == "timeout"
    assert time.monotonic() - start < TIMEOUT_S + 2


@pytest.mark.parametrize(
    "code", ["x = [0] * (10 ** 10)\nans = 1", "x = []\nwhile True:\n    x.append(' ' * 10 ** 6)"]
)
def test_unbounded_allocation_hits_the_memory_limit(pool, code):
    assert pool.run(code).status in ("memory", "timeout")


def _unrestricted(code: str) -> VerifyResult:
    """Runs code with full builtins: checks the process confinement alone, without the AST
    policy.
    """
    exec(code, {})  # noqa: S102 -- deliberately unsafe, inside run_isolated
    return VerifyResult(1.0, "ok")


@pytest.mark.parametrize(
    "code",
    [
        "open({path!r}, 'w').write('x')",
        "import os\nos.fork()\nopen({path!r}, 'w').write('x')",
        "import socket\nsocket.socket()",
        "import os\nassert os.system('touch {path}') == 0",
    ],
)
def test_confinement_alone_stops_writes_forks_and_sockets(tmp_path, code):
    target = tmp_path / "escaped.txt"
    result = run_isolated(
        _unrestricted, code.format(path=str(target)), timeout_s=2.0, memory_mb=256
    )
    assert result.status == "error", result
    assert not target.exists()


def test_map_keeps_order_and_bounds_time_with_a_mix(pool):
    codes = [
        "ans = 1",
        "while True:\n    pass",
        "ans = 3",
        "ans = 1/0",
        "while True:\n    pass",
        "ans = 6",
    ]
    start = time.monotonic()
    results = pool.map(codes)
    assert [r.status for r in results] == ["ok", "timeout", "ok", "error", "timeout", "ok"]
    assert [r.answer for r in results if r.ok] == [1.0, 3.0, 6.0]
    assert time.monotonic() - start < 2 * TIMEOUT_S + 3


def test_dead_worker_is_replaced(pool):
    worker = pool.idle.queue[0]
    worker.process.kill()
    worker.process.wait()
    # a worker that died while idle is replaced before use
    results = [pool.run("ans = 2") for _ in range(3)]
    assert all(r.ok and r.answer == 2.0 for r in results)
    assert all(w.process.poll() is None for w in pool.idle.queue)


def test_run_program_one_shot():
    assert run_program("ans = 6 * 7").answer == 42.0
    assert run_program("while True:\n    pass", timeout_s=0.5).status == "timeout"


# Found in review: attribute names that live in the AST as plain strings, never as an ast.Attribute
# node.
MATCH_CLASS_ESCAPE = """match ():
    case tuple(__getattribute__=ga):
        pass
ans = len(ga("_"*2+"doc"+"_"*2))"""


@pytest.mark.parametrize(
    "code",
    [
        MATCH_CLASS_ESCAPE,
        "match 1:\n    case int(real=r):\n        ans = r",
        "match {'a': 1}:\n    case {'a': v, **__rest}:\n        ans = v",
        "import math as __builtins__\nans = 1",
        "from math import sqrt as __import__\nans = 1",
        "try:\n    ans = 1 / 0\nexcept ZeroDivisionError as __builtins__:\n    ans = 1",
        "def f(__class__=1):\n    return 7\nans = f()",
        "def f(**kwargs):\n    return 1\nans = f(__class__=1)",
        "f = lambda __self__: 1\nans = f(2)",
    ],
)
def test_identifiers_hidden_in_ast_strings_are_checked(pool, code):
    assert check_program(code) is not None
    assert pool.run(code).status == "forbidden"


@pytest.mark.parametrize(
    "code",
    [
        "ans = " + "(" * 10_000 + "1" + ")" * 10_000,
        "ans = " + "(" * 60 + "1" + ")" * 60,
        "ans = " + "-" * 5_000 + "1",
        "ans = " + "1 + " * 500 + "1",
        "x = 1\n" * 5_000 + "ans = x",
    ],
)
def test_too_long_or_too_deeply_nested_programs_are_too_complex(pool, code):
    result = pool.run(code)
    assert result.status == "too_complex", result


def test_long_error_detail_keeps_its_cause(pool):
    result = pool.run("raise ValueError('x' * 400 + ' THE CAUSE')\nans = 1")
    assert result.status == "error"
    assert result.detail.startswith("ValueError") and result.detail.endswith("THE CAUSE")
    assert len(result.detail) <= 300


@pytest.mark.parametrize("kind", ["program", "equations"])
def test_workers_start_with_a_scrubbed_environment(monkeypatch, kind):
    monkeypatch.setenv("DISTILL_TEST_API_KEY", "sk-not-for-workers")
    with VerifierPool(kind, workers=1) as verifier_pool:
        worker_pid = verifier_pool.idle.queue[0].process.pid
        with open(f"/proc/{worker_pid}/environ", "rb") as environ:
            names = {
                entry.split(b"=", 1)[0].decode() for entry in environ.read().split(b"\0") if entry
            }
        assert verifier_pool.run("ans = 1").ok
    assert "DISTILL_TEST_API_KEY" not in names
    assert names <= {
        "PATH",
        "PYTHONPATH",
        "PYTHONHASHSEED",
        "HOME",
        "OMP_NUM_THREADS",
        "TMPDIR",
        "LANG",
        "LD_LIBRARY_PATH",
    } | {name for name in names if name.startswith("LC_")}


@pytest.mark.skipif(
    os.getuid() != 0, reason="the chroot needs root (CI and the project machines run as root)"
)
@pytest.mark.parametrize(
    "code",
    [
        "import os\nos.mkdir({path!r})",
        "import os\nos.symlink('/etc/passwd', {path!r})",
        "import os\nos.makedirs({path!r} + '/sub')",
    ],
)
def test_confined_child_cannot_create_directories_or_symlinks(code):
    path = f"/tmp/verify-escape-{uuid.uuid4().hex}"
    try:
        result = run_isolated(_unrestricted, code.format(path=path), timeout_s=2.0, memory_mb=256)
        assert result.status == "error", result
        assert not os.path.lexists(path)
    finally:
        if os.path.islink(path):
            os.unlink(path)
        elif os.path.isdir(path):
            shutil.rmtree(path)


def test_without_root_the_child_works_in_an_empty_removed_directory(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(isolation, "running_as_root", lambda: False)
    code = "import os\nos.mkdir('escaped')"
    result = run_isolated(_unrestricted, code, timeout_s=2.0, memory_mb=256)
    assert result.status == "error" and "FileNotFoundError" in result.detail, result
    assert not (tmp_path / "escaped").exists()
