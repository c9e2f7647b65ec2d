"""The program policy: what a teacher's Python program may contain, checked on its syntax tree
before anything runs (allowed imports, banned names, attributes and statements, size and nesting
limits).

Deliberately left out: running the program (distill_lib.verify.sandbox: restricted builtins,
namespaces, the confined child) and reading its answer.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from distill_lib.verify.limits import TooComplex, ast_depth_violation, size_violation

ALLOWED_MODULES = (
    "math",
    "fractions",
    "decimal",
    "statistics",
    "itertools",
    "functools",
    "operator",
)

# What each importable module exposes: an explicit allow-list (None: every public non-module name).
# Anything that reads or writes attributes named by a string (functools.update_wrapper / wraps,
# operator.attrgetter / methodcaller, ...) would let a program build `"_" * 2 + "globals" + ...` at
# run time and walk out.
ALLOWED_NAMES: dict[str, set[str] | None] = {
    "math": None,
    "itertools": None,
    "fractions": {"Fraction"},
    "decimal": {
        "Decimal",
        "getcontext",
        "localcontext",
        "ROUND_HALF_UP",
        "ROUND_HALF_EVEN",
        "ROUND_DOWN",
        "ROUND_UP",
        "ROUND_FLOOR",
        "ROUND_CEILING",
        "ROUND_HALF_DOWN",
        "InvalidOperation",
    },
    "statistics": {
        "mean",
        "fmean",
        "median",
        "median_low",
        "median_high",
        "mode",
        "multimode",
        "stdev",
        "pstdev",
        "variance",
        "pvariance",
        "geometric_mean",
        "harmonic_mean",
        "quantiles",
        "StatisticsError",
    },
    "functools": {"reduce", "partial", "lru_cache", "cache", "cmp_to_key"},
    "operator": {
        "add",
        "sub",
        "mul",
        "truediv",
        "floordiv",
        "mod",
        "pow",
        "neg",
        "pos",
        "abs",
        "eq",
        "ne",
        "lt",
        "le",
        "gt",
        "ge",
        "and_",
        "or_",
        "xor",
        "not_",
        "index",
        "itemgetter",
        "getitem",
        "contains",
        "countOf",
        "indexOf",
    },
}


BANNED_NAMES = {
    "eval",
    "exec",
    "compile",
    "open",
    "globals",
    "locals",
    "vars",
    "getattr",
    "setattr",
    "delattr",
    "hasattr",
    "input",
    "breakpoint",
    "help",
    "dir",
    "type",
    "object",
    "super",
    "memoryview",
    "exit",
    "quit",
    "classmethod",
    "staticmethod",
    "property",
    "attrgetter",
    "methodcaller",
}


BANNED_ATTRIBUTES = {"format", "format_map", "attrgetter", "methodcaller", "mro", "with_traceback"}


BANNED_ATTRIBUTE_PREFIXES = ("_", "gi_", "f_", "tb_", "co_", "cr_", "ag_", "func_")


# `match` class patterns look attributes up by name (`case C(attr=x)`), a name the AST holds as a
# plain string; teacher math programs never need a match statement, so it is refused whole with the
# other statements
BANNED_STATEMENTS = (ast.ClassDef, ast.AsyncFunctionDef, ast.Global, ast.Nonlocal, ast.Match)


# AST fields that hold identifiers as plain strings (Python's ASDL `identifier`); none may start
# with `__`
IDENTIFIER_FIELDS = {"id", "attr", "name", "asname", "arg", "names", "kwd_attrs", "rest", "module"}


def parse_program(code: str) -> ast.Module:
    """The program's tree; raises TooComplex past the size limits (distill_lib.verify.limits),
    SyntaxError for what does not parse."""
    reason = size_violation(code)
    if reason:
        raise TooComplex(reason)
    try:
        tree = ast.parse(code)
    except (RecursionError, MemoryError):  # the parser's own stack limits, e.g. `- - - ... 1`
        raise TooComplex("nested too deeply for the parser") from None
    reason = ast_depth_violation(tree)
    if reason:
        raise TooComplex(reason)
    return tree


def check_program(code: str) -> str | None:
    """Why the program is forbidden (or too complex to check), or None when the AST policy allows it
    (a SyntaxError propagates)."""
    try:
        return policy_violation(parse_program(code))
    except TooComplex as err:
        return f"too complex: {err}"


def policy_violation(tree: ast.AST) -> str | None:
    """Why a parsed program is forbidden, or None."""
    for node in ast.walk(tree):
        reason = _node_violation(node)
        if reason:
            return f"line {getattr(node, 'lineno', '?')}: {reason}"
    return None


def _node_violation(node: ast.AST) -> str | None:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return _import_violation(node)
    if isinstance(node, BANNED_STATEMENTS):
        return f"{type(node).__name__} statement"
    if isinstance(node, ast.Name) and _is_banned_name(node.id):
        return f"use of {node.id}"
    if isinstance(node, ast.Attribute) and (
        node.attr in BANNED_ATTRIBUTES or node.attr.startswith(BANNED_ATTRIBUTE_PREFIXES)
    ):
        return f"attribute .{node.attr}"
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, (str, bytes))
        and ("__" in node.value if isinstance(node.value, str) else b"__" in node.value)
    ):
        return "string constant containing '__'"
    dunder = next((name for name in _identifiers(node) if name.startswith("__")), None)
    return f"identifier {dunder} in {type(node).__name__}" if dunder else None


def _import_violation(node: ast.Import | ast.ImportFrom) -> str | None:
    if isinstance(node, ast.Import):
        bad = [a.name for a in node.names if a.name not in ALLOWED_MODULES]
        return f"import of {', '.join(bad)}" if bad else None
    if node.level or node.module not in ALLOWED_MODULES:
        return f"import from {node.module or '.'}"
    allowed = ALLOWED_NAMES[node.module]
    bad = [
        a.name
        for a in node.names
        if a.name == "*"
        or _is_banned_name(a.name)
        or (allowed is not None and a.name not in allowed)
    ]
    return f"import of {', '.join(bad)} from {node.module}" if bad else None


def _identifiers(node: ast.AST) -> Iterator[str]:
    """Every identifier the node holds as a plain string (names bound by `as`, parameters, keyword
    arguments, match-pattern attributes, ...): such strings never appear as an ast.Name or
    ast.Attribute node."""
    for field, value in ast.iter_fields(node):
        if field in IDENTIFIER_FIELDS:
            yield from (
                item
                for item in (value if isinstance(value, list) else [value])
                if isinstance(item, str)
            )


def _is_banned_name(name: str) -> bool:
    return name in BANNED_NAMES or name.startswith("__")
