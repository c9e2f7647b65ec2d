"""Running untrusted programs (PoT answers) safely, and the process isolation every verifier shares.

Layers, each enough to stop the common escapes on its own:
  1. `check_program`: an AST policy. Only math-type imports (math, fractions, decimal, statistics, itertools,
     functools, operator); no names or attributes that start with `_` (`__class__`, `__globals__`, ...);
     no eval/exec/compile/open/getattr/...; no frame/code attributes (`gi_frame`, `f_globals`); no `str.format`,
     `attrgetter`/`methodcaller`; no string constants containing `__`; no class definitions.
  2. `execute_here`: restricted builtins; imports go through a whitelist that hands out a namespace of the
     module's public non-module attributes (so `fractions.sys` does not exist).
  3. `run_isolated`: the code runs in a forked child with resource limits: RLIMIT_AS (memory_mb above what the
     worker already maps), RLIMIT_CPU, RLIMIT_FSIZE=0 (no file writes), RLIMIT_NOFILE=3 (no new files or
     sockets), RLIMIT_NPROC=0 (no fork); when started as root the child also drops to uid/gid 65534 (nobody),
     because root ignores RLIMIT_NPROC. stdin/stdout/stderr go to /dev/null, every other descriptor is closed,
     and the parent kills the child at the wall-clock deadline.

Program styles: top-level `ans = ...` (PoT), or `def solution(): ... return result` / `def solve(): ...` (ReFT,
GSM8K release), called when `ans` is not set. `run_program` uses a shared one-worker pool; `ProgramPool` is the
pre-forked pool for throughput (see `distill_lib.verify.batch`).

Deliberately left out: seccomp/namespaces (not in the standard library), network namespaces (sockets cannot be
imported or opened), and any output other than the numeric answer (prints go to /dev/null).
"""

from __future__ import annotations

import ast
import builtins
import importlib
import json
import math
import os
import resource
import select
import signal
import time
import types
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction

from distill_lib.verify.batch import VerifierPool, shared_pool
from distill_lib.verify.result import VerifyResult

ALLOWED_MODULES = ("math", "fractions", "decimal", "statistics", "itertools", "functools", "operator")
# What each importable module exposes: an explicit allow-list (None: every public non-module name). Anything
# that reads or writes attributes named by a string (functools.update_wrapper / wraps, operator.attrgetter /
# methodcaller, ...) would let a program build `"_" * 2 + "globals" + ...` at run time and walk out.
ALLOWED_NAMES: dict[str, set[str] | None] = {
    "math": None, "itertools": None,
    "fractions": {"Fraction"},
    "decimal": {"Decimal", "getcontext", "localcontext", "ROUND_HALF_UP", "ROUND_HALF_EVEN", "ROUND_DOWN",
                "ROUND_UP", "ROUND_FLOOR", "ROUND_CEILING", "ROUND_HALF_DOWN", "InvalidOperation"},
    "statistics": {"mean", "fmean", "median", "median_low", "median_high", "mode", "multimode", "stdev", "pstdev",
                   "variance", "pvariance", "geometric_mean", "harmonic_mean", "quantiles", "StatisticsError"},
    "functools": {"reduce", "partial", "lru_cache", "cache", "cmp_to_key"},
    "operator": {"add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "neg", "pos", "abs", "eq", "ne", "lt",
                 "le", "gt", "ge", "and_", "or_", "xor", "not_", "index", "itemgetter", "getitem", "contains",
                 "countOf", "indexOf"},
}
BANNED_NAMES = {"eval", "exec", "compile", "open", "globals", "locals", "vars", "getattr", "setattr", "delattr",
                "hasattr", "input", "breakpoint", "help", "dir", "type", "object", "super", "memoryview",
                "exit", "quit", "classmethod", "staticmethod", "property", "attrgetter", "methodcaller"}
BANNED_ATTRIBUTES = {"format", "format_map", "attrgetter", "methodcaller", "mro", "with_traceback"}
BANNED_ATTRIBUTE_PREFIXES = ("_", "gi_", "f_", "tb_", "co_", "cr_", "ag_", "func_")
MAX_PROGRAM_CHARS = 20_000
NOBODY = 65534
RESULT_BYTES = 65_536


def check_program(code: str) -> str | None:
    """Why the program is forbidden, or None when the AST policy allows it (a SyntaxError propagates)."""
    if len(code) > MAX_PROGRAM_CHARS:
        return f"program longer than {MAX_PROGRAM_CHARS} characters"
    for node in ast.walk(ast.parse(code)):
        reason = _node_violation(node)
        if reason:
            return f"line {getattr(node, 'lineno', '?')}: {reason}"
    return None


def _node_violation(node: ast.AST) -> str | None:
    if isinstance(node, ast.Import):
        bad = [a.name for a in node.names if a.name not in ALLOWED_MODULES]
        return f"import of {', '.join(bad)}" if bad else None
    if isinstance(node, ast.ImportFrom):
        if node.level or node.module not in ALLOWED_MODULES:
            return f"import from {node.module or '.'}"
        allowed = ALLOWED_NAMES[node.module]
        bad = [a.name for a in node.names if a.name == "*" or _is_banned_name(a.name)
               or (allowed is not None and a.name not in allowed)]
        return f"import of {', '.join(bad)} from {node.module}" if bad else None
    if isinstance(node, ast.Name) and _is_banned_name(node.id):
        return f"use of {node.id}"
    if isinstance(node, ast.Attribute) and (node.attr in BANNED_ATTRIBUTES
                                            or node.attr.startswith(BANNED_ATTRIBUTE_PREFIXES)):
        return f"attribute .{node.attr}"
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)) and (
            "__" in node.value if isinstance(node.value, str) else b"__" in node.value):
        return "string constant containing '__'"
    if isinstance(node, (ast.ClassDef, ast.AsyncFunctionDef, ast.Global, ast.Nonlocal)):
        return f"{type(node).__name__} statement"
    return None


def _is_banned_name(name: str) -> bool:
    return name in BANNED_NAMES or name.startswith("__")


def _public_namespace(module: types.ModuleType) -> types.SimpleNamespace:
    """The module's allowed attributes (ALLOWED_NAMES; never modules or banned names), as a plain namespace."""
    allowed = ALLOWED_NAMES[module.__name__]
    return types.SimpleNamespace(**{
        name: value for name, value in vars(module).items()
        if not name.startswith("_") and name not in BANNED_NAMES and not isinstance(value, types.ModuleType)
        and (allowed is None or name in allowed)})


MODULE_NAMESPACES = {name: _public_namespace(importlib.import_module(name)) for name in ALLOWED_MODULES}


def _restricted_import(name: str, globals=None, locals=None, fromlist=(), level=0) -> types.SimpleNamespace:
    if level or name not in MODULE_NAMESPACES:
        raise ImportError(f"import of {name} is not allowed")
    return MODULE_NAMESPACES[name]


SAFE_BUILTINS = {name: getattr(builtins, name)
                 for name in ("abs", "all", "any", "bool", "complex", "dict", "divmod", "enumerate", "filter",
                              "float", "frozenset", "int", "isinstance", "len", "list", "map", "max", "min",
                              "pow", "print", "range", "reversed", "round", "set", "slice", "sorted", "str",
                              "sum", "tuple", "zip", "Exception", "ArithmeticError", "ZeroDivisionError",
                              "ValueError", "TypeError", "IndexError", "KeyError", "OverflowError",
                              "StopIteration")}
SAFE_BUILTINS["__import__"] = _restricted_import


def to_number(value: object) -> VerifyResult:
    """`ok` with a float for int/float/Fraction/Decimal values; `non_numeric` for anything else or inf/nan."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction, Decimal)):
        return VerifyResult(None, "non_numeric", f"answer is a {type(value).__name__}")
    try:
        number = float(value)
    except (OverflowError, ValueError) as err:
        return VerifyResult(None, "non_numeric", f"answer does not fit a float: {err}")
    if not math.isfinite(number):
        return VerifyResult(None, "non_numeric", f"answer is {number}")
    return VerifyResult(number, "ok")


def execute_here(code: str) -> VerifyResult:
    """Check and run a program in this process with restricted builtins; only call inside `run_isolated`."""
    try:
        reason = check_program(code)
    except SyntaxError as err:
        return VerifyResult(None, "error", f"SyntaxError line {err.lineno}: {err.msg}")
    if reason:
        return VerifyResult(None, "forbidden", reason)
    namespace: dict = {"__builtins__": SAFE_BUILTINS, "__name__": "__program__"}
    try:
        exec(compile(code, "<program>", "exec"), namespace)  # noqa: S102 -- checked code, isolated child
        if "ans" in namespace:
            return to_number(namespace["ans"])
        entry = next((namespace[n] for n in ("solution", "solve") if callable(namespace.get(n))), None)
        if entry is None:
            return VerifyResult(None, "no_answer", "no `ans` variable and no solution()/solve() function")
        return to_number(entry())
    except MemoryError:
        return VerifyResult(None, "memory", "MemoryError")
    except RecursionError:
        return VerifyResult(None, "error", "RecursionError")
    except Exception as err:  # the program's own failure is a result, not our crash
        return VerifyResult(None, "error", f"{type(err).__name__}: {str(err)[:200]}")


def _confine_child(result_fd: int, timeout_s: float, memory_mb: int) -> None:
    """In the forked child: silence stdio, close descriptors, drop root, set resource limits."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.closerange(3, result_fd)
    os.closerange(result_fd + 1, 65_536)
    with open("/proc/self/statm") as statm:
        mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    if os.getuid() == 0:
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
    cpu_s = math.ceil(timeout_s) + 1
    for limit, value in ((resource.RLIMIT_AS, mapped + memory_mb * 2**20), (resource.RLIMIT_CPU, cpu_s),
                         (resource.RLIMIT_FSIZE, 0), (resource.RLIMIT_NOFILE, 3), (resource.RLIMIT_NPROC, 0),
                         (resource.RLIMIT_CORE, 0)):
        resource.setrlimit(limit, (value, value))


def _child_main(handler: Callable[[str], VerifyResult], text: str, result_fd: int, timeout_s: float,
                memory_mb: int) -> None:
    try:
        _confine_child(result_fd, timeout_s, memory_mb)
        result = handler(text)
    except MemoryError:
        result = VerifyResult(None, "memory", "MemoryError")
    except BaseException as err:  # noqa: B036 -- anything here must become a result
        result = VerifyResult(None, "error", f"{type(err).__name__}: {str(err)[:200]}")
    try:
        payload = json.dumps(result.to_dict()).encode()[:RESULT_BYTES]
        os.write(result_fd, payload)
    finally:
        os._exit(0)


def run_isolated(handler: Callable[[str], VerifyResult], text: str, timeout_s: float,
                 memory_mb: int) -> VerifyResult:
    """Run `handler(text)` in a confined forked child; kill it at the wall-clock deadline."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _child_main(handler, text, write_fd, timeout_s, memory_mb)
    os.close(write_fd)
    payload, timed_out = _read_until(read_fd, time.monotonic() + timeout_s)
    os.close(read_fd)
    if timed_out:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    if timed_out or (os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXCPU):
        return VerifyResult(None, "timeout", f"no result within {timeout_s:g} s")
    try:
        return VerifyResult.from_dict(json.loads(payload))
    except (ValueError, KeyError, TypeError):
        signal_note = f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"exit {status}"
        return VerifyResult(None, "error", f"child died without a result ({signal_note})")


def _read_until(fd: int, deadline: float) -> tuple[bytes, bool]:
    """All bytes from `fd` until EOF, and whether the deadline passed first."""
    chunks = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            return b"".join(chunks), True
        chunk = os.read(fd, RESULT_BYTES)
        if not chunk:
            return b"".join(chunks), False
        chunks.append(chunk)


class _Deadline(BaseException):
    """Raised by the alarm; a BaseException so that library code catching Exception cannot swallow it."""


def _raise_deadline(signum: int, frame: object) -> None:
    raise _Deadline


def limit_memory(memory_mb: int) -> None:
    """Cap this process's address space at what it maps now plus `memory_mb`."""
    with open("/proc/self/statm") as statm:
        mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    limit = mapped + memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))


def run_with_alarm(handler: Callable[[str], VerifyResult], text: str, timeout_s: float) -> VerifyResult:
    """Run trusted-by-construction work (the equation solver) in this process under a SIGALRM deadline.

    Cheaper than a fork per request because the worker's caches stay warm; a solve stuck in C code that the
    alarm cannot interrupt is caught by the pool, which replaces the worker after a grace period."""
    previous = signal.signal(signal.SIGALRM, _raise_deadline)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        return handler(text)
    except _Deadline:
        return VerifyResult(None, "timeout", f"no result within {timeout_s:g} s")
    except MemoryError:
        return VerifyResult(None, "memory", "MemoryError")
    except RecursionError:
        return VerifyResult(None, "error", "RecursionError")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class ProgramPool(VerifierPool):
    """Pre-forked workers that run programs: `with ProgramPool(2) as pool: pool.map(codes)`."""

    def __init__(self, workers: int = 2, timeout_s: float = 5.0, memory_mb: int = 512) -> None:
        super().__init__("program", workers=workers, timeout_s=timeout_s, memory_mb=memory_mb)


def run_program(code: str, timeout_s: float = 5.0, memory_mb: int = 512) -> VerifyResult:
    """Execute one untrusted program in the sandbox and return its numeric `ans` (or a named failure)."""
    return shared_pool("program").run(code, timeout_s=timeout_s, memory_mb=memory_mb)
