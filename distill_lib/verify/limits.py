"""Size limits checked before a verifier parses anything: text length, line length and nesting
depth.

Parsers and solvers recurse over nested input (Python's parser and compiler, SymPy's parser and its
tree walks), so deep nesting either costs a whole timeout or ends in a RecursionError/MemoryError
that says nothing about the cause. These checks are cheap scans of the text (and, for programs, of
the parsed tree, iteratively) that give such input its own status, `too_complex`, with the limit
that was passed. The limits are far above what teacher programs and equation systems use: they bound
pathological input, never a real answer.

Deliberately left out: limits on run time and memory (distill_lib.verify.isolation) and on
polynomial degree (distill_lib.verify.solver).
"""

from __future__ import annotations

import ast
import re
from itertools import accumulate

MAX_TEXT_CHARS = 20_000
MAX_LINE_CHARS = 1_000  # equation lines only (a program line may hold a long list of numbers)
MAX_NESTING = 50  # open brackets at once: ( [ {
# levels of the parsed program: each operator, call, block and expression adds one
MAX_AST_DEPTH = 100
BRACKET = re.compile(r"[()\[\]{}]")


class TooComplex(ValueError):
    """Input past a size limit; the message says which one."""


def nesting_depth(text: str) -> int:
    """The largest number of brackets open at once (quotes and comments not understood: an upper
    bound)."""
    steps = [1 if bracket in "([{" else -1 for bracket in BRACKET.findall(text)]
    return max(accumulate(steps, initial=0))


def size_violation(
    text: str,
    max_chars: int = MAX_TEXT_CHARS,
    max_line_chars: int | None = None,
    max_nesting: int = MAX_NESTING,
) -> str | None:
    """Why `text` is too large to take on (length, a line's length, bracket nesting), or None."""
    if len(text) > max_chars:
        return f"text of {len(text)} characters, above the limit of {max_chars}"
    if max_line_chars is not None:
        longest = max((len(line) for line in text.splitlines()), default=0)
        if longest > max_line_chars:
            return f"a line of {longest} characters, above the limit of {max_line_chars}"
    depth = nesting_depth(text)
    if depth > max_nesting:
        return f"brackets nested {depth} deep, above the limit of {max_nesting}"
    return None


def ast_depth_violation(tree: ast.AST, max_depth: int = MAX_AST_DEPTH) -> str | None:
    """Why the parsed tree is too deep (chains like `- - - 1` or `1 + 1 + ... + 1` nest without
    brackets)."""
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            return f"expressions nested more than {max_depth} levels deep"
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return None
