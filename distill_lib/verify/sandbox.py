"""Running untrusted programs (PoT answers) safely: the layers around a program that passed the
policy (distill_lib.verify.policy), and its execution.

First, size: `parse_program` refuses text past the limits of distill_lib.verify.limits (length,
bracket nesting, depth of the parsed tree) with status `too_complex`, before the parser or compiler
recurse into it. Then layers, each enough to stop the common escapes on its own:
  1. `check_program` (distill_lib.verify.policy): an AST policy. Only math-type imports (math,
     fractions, decimal, statistics, itertools, functools, operator); no names or attributes that
     start with `_` (`__class__`, `__globals__`, ...), and no identifier anywhere in the tree that
     starts with `__` (those the AST keeps as plain strings too: names bound by `as`, parameters,
     keyword arguments); no eval/exec/compile/open/getattr/...; no frame/code attributes
     (`gi_frame`, `f_globals`); no `str.format`, `attrgetter`/`methodcaller`; no string constants
     containing `__`; no class definitions and no `match` statements (a class pattern `case
     C(attr=x)` looks an attribute up by a name that is only a string in the tree).
  2. `execute_here`: restricted builtins (SAFE_BUILTINS: the ones that compute on values, such as
     `next`, `iter`, `ord`, `chr`, `format`; none that look names up by a string, run code or open
     files); imports go through a whitelist that hands out a namespace of the module's public
     non-module attributes (so `fractions.sys` does not exist).
  3. distill_lib.verify.isolation.run_isolated: the code runs in a confined forked child (resource
     limits, no root, an empty root directory, no descriptors, a wall-clock kill); see that module.

Program styles: top-level `ans = ...` (PoT), or `def solution(): ... return result` / `def solve():
...` (ReFT, GSM8K release), called when `ans` is not set. Names may be non-ASCII (`π = 3.14`): the
policy sees them after Python's NFKC normalisation (`eval` spelt in fullwidth letters is `eval`),
and the worker loads what the compiler needs for them before its children are confined
(distill_lib.verify.batch.WARM_UP). `run_program` uses a shared one-worker pool; `ProgramPool` is
the pre-forked pool for throughput (see `distill_lib.verify.batch`).

Deliberately left out: seccomp/namespaces (not in the standard library), network namespaces (sockets
cannot be imported or opened), and any output other than the numeric answer (prints go to
/dev/null).
"""

from __future__ import annotations

import builtins
import importlib
import types
from decimal import Decimal
from fractions import Fraction

from distill_lib.verify.batch import VerifierPool, shared_pool
from distill_lib.verify.limits import TooComplex
from distill_lib.verify.policy import (
    ALLOWED_MODULES,
    ALLOWED_NAMES,
    BANNED_NAMES,
    parse_program,
    policy_violation,
)
from distill_lib.verify.result import VerifyResult, number_result, shorten


def _public_namespace(module: types.ModuleType) -> types.SimpleNamespace:
    """The module's allowed attributes (ALLOWED_NAMES; never modules or banned names), as a plain
    namespace."""
    allowed = ALLOWED_NAMES[module.__name__]
    return types.SimpleNamespace(
        **{
            name: value
            for name, value in vars(module).items()
            if not name.startswith("_")
            and name not in BANNED_NAMES
            and not isinstance(value, types.ModuleType)
            and (allowed is None or name in allowed)
        }
    )


MODULE_NAMESPACES = {
    name: _public_namespace(importlib.import_module(name)) for name in ALLOWED_MODULES
}


def _restricted_import(
    name: str, globals=None, locals=None, fromlist=(), level=0
) -> types.SimpleNamespace:
    if level or name not in MODULE_NAMESPACES:
        raise ImportError(f"import of {name} is not allowed")
    return MODULE_NAMESPACES[name]


# Built-ins that compute on values they are given and reach nothing else: no names looked up by a
# string (getattr, vars), no code (eval, compile), no files (open), no types or frames (type,
# object, globals). `format(value, spec)` is safe where `str.format` is not: a format spec has no
# field lookups (`{0.__class__}`), only widths and precisions.
SAFE_BUILTINS = {
    name: getattr(builtins, name)
    for name in (
        "abs",
        "all",
        "any",
        "bin",
        "bool",
        "callable",
        "chr",
        "complex",
        "dict",
        "divmod",
        "enumerate",
        "filter",
        "float",
        "format",
        "frozenset",
        "hex",
        "int",
        "isinstance",
        "iter",
        "len",
        "list",
        "map",
        "max",
        "min",
        "next",
        "oct",
        "ord",
        "pow",
        "print",
        "range",
        "repr",
        "reversed",
        "round",
        "set",
        "slice",
        "sorted",
        "str",
        "sum",
        "tuple",
        "zip",
        "Exception",
        "ArithmeticError",
        "AssertionError",
        "AttributeError",
        "IndexError",
        "KeyError",
        "LookupError",
        "NameError",
        "NotImplementedError",
        "OverflowError",
        "RuntimeError",
        "StopIteration",
        "TypeError",
        "ValueError",
        "ZeroDivisionError",
    )
}
SAFE_BUILTINS["__import__"] = _restricted_import


def to_number(value: object) -> VerifyResult:
    """`ok` with a float for int/float/Fraction/Decimal values; `non_numeric` for anything else or
    inf/nan."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction, Decimal)):
        return VerifyResult(None, "non_numeric", f"answer is a {type(value).__name__}")
    try:
        return number_result(float(value))
    except (OverflowError, ValueError) as err:
        return VerifyResult(None, "non_numeric", shorten(f"answer does not fit a float: {err}"))


def execute_here(code: str) -> VerifyResult:
    """Check and run a program in this process with restricted builtins; only call inside
    `run_isolated`."""
    try:
        tree = parse_program(code)
    except TooComplex as err:
        return VerifyResult(None, "too_complex", str(err))
    except SyntaxError as err:
        return VerifyResult(None, "error", shorten(f"SyntaxError line {err.lineno}: {err.msg}"))
    reason = policy_violation(tree)
    if reason:
        return VerifyResult(None, "forbidden", shorten(reason))
    namespace: dict = {"__builtins__": SAFE_BUILTINS, "__name__": "__program__"}
    try:
        # noqa: S102 -- checked code, isolated child
        exec(compile(tree, "<program>", "exec"), namespace)
        return _answer(namespace)
    except MemoryError:
        return VerifyResult(None, "memory", "MemoryError")
    except RecursionError:
        return VerifyResult(None, "error", "RecursionError")
    except Exception as err:  # the program's own failure is a result, not our crash
        return VerifyResult(None, "error", shorten(f"{type(err).__name__}: {err}"))


def _answer(namespace: dict) -> VerifyResult:
    """`ans` if the program set it, else what solution()/solve() returns."""
    if "ans" in namespace:
        return to_number(namespace["ans"])
    entry = next((namespace[n] for n in ("solution", "solve") if callable(namespace.get(n))), None)
    if entry is None:
        return VerifyResult(
            None, "no_answer", "no `ans` variable and no solution()/solve() function"
        )
    return to_number(entry())


class ProgramPool(VerifierPool):
    """Pre-forked workers that run programs: `with ProgramPool(2) as pool: pool.map(codes)`."""

    def __init__(self, workers: int = 2, timeout_s: float = 5.0, memory_mb: int = 512) -> None:
        super().__init__("program", workers=workers, timeout_s=timeout_s, memory_mb=memory_mb)


def run_program(code: str, timeout_s: float = 5.0, memory_mb: int = 512) -> VerifyResult:
    """Execute one untrusted program in the sandbox and return its numeric `ans` (or a named
    failure)."""
    return shared_pool("program").run(code, timeout_s=timeout_s, memory_mb=memory_mb)
