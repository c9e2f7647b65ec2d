"""Safe arithmetic evaluation of model output, never Python `eval`.

Accepts numbers, + - * /, parentheses and unary minus (and `**` only when asked). Anything else is
rejected. Used for SVAMP equation scoring (DSS) and by the math verifiers.

Deliberately left out: variables, functions, and any Python semantics beyond arithmetic.
"""

from __future__ import annotations

import ast
import math
import operator

_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_MAX_CHARS = 500
_MAX_ABS = 1e300


def safe_eval(expression: str, allow_power: bool = False, python_and: bool = False) -> float | None:
    """The value of an arithmetic expression, or None if it is not one (or divides by zero, or
    overflows).

    `python_and=True` also accepts `x and y` with Python's meaning (the last operand if all are
    non-zero), only to reproduce the DSS reference's `eval`-based label accuracy on PaLM outputs
    such as `(29/2) and (30/2)`.
    """
    if not isinstance(expression, str) or not expression.strip() or len(expression) > _MAX_CHARS:
        return None
    try:
        tree = ast.parse(expression.strip(), mode="eval")
        value = _eval_node(tree.body, allow_power, python_and)
    except (SyntaxError, ValueError, ZeroDivisionError, OverflowError, TypeError, RecursionError):
        return None
    if value is None or not math.isfinite(value) or abs(value) > _MAX_ABS:
        return None
    return float(value)


def _eval_node(node: ast.AST, allow_power: bool, python_and: bool = False) -> float:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _eval_node(node.operand, allow_power, python_and)
        return -value if isinstance(node.op, ast.USub) else value
    if python_and and isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
        values = [_eval_node(v, allow_power, python_and) for v in node.values]
        return next((v for v in values if v == 0), values[-1])
    if isinstance(node, ast.BinOp):
        left = _eval_node(node.left, allow_power, python_and)
        right = _eval_node(node.right, allow_power, python_and)
        if type(node.op) in _BINARY:
            return _BINARY[type(node.op)](left, right)
        if allow_power and isinstance(node.op, ast.Pow) and abs(right) <= 64:
            return left**right
    raise ValueError(f"not arithmetic: {ast.dump(node)[:60]}")


def numbers_close(
    a: float | None, b: float | None, rel_tol: float = 1e-6, abs_tol: float = 1e-6
) -> bool:
    """True when both are numbers within tolerance; a missing value never matches."""
    if a is None or b is None:
        return False
    return math.isclose(a, b, rel_tol=rel_tol, abs_tol=abs_tol)
