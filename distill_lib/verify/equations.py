"""Solving an Equation-of-Thought answer: a system of equations over named variables, read `ans`.

Implements eotd.md §2.4 (the XoT approach, in our own code):
  0. size first: a system longer than the text limit, with a line longer than the line limit, or
     with brackets nested deeper than the nesting limit (distill_lib.verify.limits) is
     `too_complex`, before it is parsed;
  1. lines are stripped; empty lines, lines starting with `%` or `#`, and lines without `=` are
     skipped;
  2. `$` is removed; a line splits at its first `=`, and the right side is cut at any further `=`;
  3. light fixes: thousands separators go (`1,200` -> `1200`), `N%` -> `(N/100)`, a number directly
     followed by a name or `(` becomes a product (`3x` -> `3*x`, `3(10)` -> `3*(10)`);
  4. each side is parsed by SymPy's `parse_expr` with the standard transformations plus
     `convert_xor` (`^` is a power, as teachers write it: `2^3` is 8, never Python's xor) and
     `implicit_multiplication` only (never `split_symbols`, so `pencil_per_box` stays one symbol).
     Every name in the text is passed in `local_dict` as a plain Symbol (so `E`, `I`, `S`, `N`,
     `beta` are unknowns, not constants or functions), except `sqrt floor ceiling abs min max`;
     Python keywords used as names (`lambda`) get a trailing `_`. The text is checked first: ASCII
     arithmetic, names and parentheses only; no `__`; no attribute access, i.e. no dot followed
     (spaces allowed) by a name, whatever stands before it (`x.real`, `1 .evalf(50)`, `2. real`),
     while a dot inside a number (`2.5`, `.5`, `1.5e3`) stays. The parse runs with empty builtins.
     SymPy's parser still evaluates the code it builds from the text, so the whole solve runs in a
     confined forked child like a program (distill_lib.verify.isolation), not only under a deadline;
  5. trivially true equations are dropped; a trivially false one makes the system unsolvable;
  6. `ans` must occur; the system is solved (distill_lib.verify.solver: linear substitution, real
     roots of high-degree polynomials in one unknown, then `sympy.solve`) and `ans` is read from the
     chosen solution (see below); it must be a real number that fits a float (`2**2000` is
     `non_numeric`, as in the program path).
Named failures: unparsable, no_answer (no `ans`), unsolvable, underdetermined, non_numeric,
too_complex, timeout and memory (the child's deadline and memory cap, see
`distill_lib.verify.batch`). Long details keep their head (the line) and their tail (the cause).

Refused or failing on purpose: hex, octal and binary literals (`0x1F`) are unparsable rather than
read as `0*x1F`; the names the parser's own code calls (`Integer`, `Float`, `Rational`, `Symbol`,
`Lambda`, `factorial`, `factorial2`, and `Add`, `Mul`, `Pow` of the unevaluated parse) get a
trailing `_` like keywords, so `Integer = 7` is a variable; a denominator as written (`x / x`) that
the solution makes zero, or a nan/zoo answer, is `non_numeric` with an "undefined" detail; an
equation without unknowns that is false (`ans = ans + 1`) is `unsolvable` before `ans` is looked
for; several real solutions are `underdetermined` ("ambiguous") unless exactly one is non-negative
(distill_lib.verify.solver).

Deliberately left out: inequalities and units.
"""

from __future__ import annotations

import keyword
import re

from distill_lib.verify.batch import VerifierPool
from distill_lib.verify.limits import MAX_LINE_CHARS, size_violation
from distill_lib.verify.result import VerifyResult, number_result, printable, shorten

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
ALLOWED_TEXT = re.compile(r"[A-Za-z0-9_ \t.+\-*/()^]*")
ATTRIBUTE_ACCESS = re.compile(r"\.\s*[A-Za-z_]")  # any dot before a name; `2.5` and `.5` stay
THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%")
NUMBER_BEFORE_NAME = re.compile(
    r"(?<![A-Za-z0-9_.])(\d+(?:\.\d+)?)\s*(?=[A-Za-z_(])(?![eE][+-]?\d)"
)
NON_DECIMAL_LITERAL = re.compile(
    r"(?<![A-Za-z0-9_.])0[xX][0-9A-Fa-f]|(?<![A-Za-z0-9_.])0[oObB][0-9]"
)
PARSER_NAMES = (
    "Integer",
    "Float",
    "Rational",
    "Symbol",
    "Lambda",
    "factorial",
    "factorial2",
    "Add",
    "Mul",
    "Pow",
)
FUNCTION_NAMES = {
    "sqrt": "sqrt",
    "floor": "floor",
    "ceiling": "ceiling",
    "abs": "Abs",
    "min": "Min",
    "max": "Max",
}


class _Unparsable(ValueError):
    """A line that cannot be turned into an equation; the message names the line."""


def equation_sides(text: str) -> list[tuple[int, str, str]]:
    """(line number, left, right) for every equation line, after steps 1-3 above."""
    sides = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("%", "#")) or "=" not in line:
            continue
        left, right = line.replace("$", "").split("=", 1)
        if NON_DECIMAL_LITERAL.search(line):
            raise _Unparsable(f"line {number}: {line!r} has a hex, octal or binary literal")
        sides.append((number, _light_fixes(left), _light_fixes(right.split("=", 1)[0])))
    return sides


def _light_fixes(side: str) -> str:
    side = THOUSANDS.sub("", side.strip())
    side = PERCENT.sub(r"(\1/100)", side)
    return NUMBER_BEFORE_NAME.sub(r"\1*", side)


def _safe_names(side: str, line_number: int) -> str:
    """The side with keyword names renamed; raises _Unparsable for anything but plain arithmetic
    text."""
    if not side or ALLOWED_TEXT.fullmatch(side) is None:
        raise _Unparsable(f"line {line_number}: {side!r} has characters outside arithmetic")
    if "__" in side or ATTRIBUTE_ACCESS.search(side):
        raise _Unparsable(f"line {line_number}: {side!r} has attribute access or a dunder name")
    return NAME.sub(_safe_name, side)


def _safe_name(match: re.Match) -> str:
    """A name with a trailing `_` when it is a Python keyword or a name the parser's own code uses
    (`Integer = 7` must not replace the `Integer(7)` calls the parser writes for numbers)."""
    name = match.group()
    return name + "_" if keyword.iskeyword(name) or name in PARSER_NAMES else name


def denominators(side: str, local_dict: dict, global_dict: dict, transformations: tuple) -> list:
    """The bases of negative powers in the side as written (unevaluated, so `x / x` keeps its `x`),
    to be checked against the solution: SymPy's evaluation would turn `x / x` into 1."""
    import sympy
    from sympy.parsing.sympy_parser import parse_expr

    if "/" not in side:  # a second parse only where a denominator is written
        return []
    expr = parse_expr(
        side,
        local_dict=local_dict,
        global_dict=global_dict,
        transformations=transformations,
        evaluate=False,
    )
    return [
        node.base
        for node in sympy.preorder_traversal(expr)
        if node.is_Pow and node.exp.is_number and node.exp.is_negative
    ]


def parse_system(text: str, divisors: list | None = None) -> list:
    """One SymPy residual `lhs - rhs` (meaning `= 0`) per equation line, trivially true ones
    (residual 0) dropped; raises _Unparsable naming the line. Residuals rather than `Eq` objects:
    same meaning, and `Eq`'s evaluation costs more than the rest of the solve. The denominators as
    written are appended to `divisors` when it is given."""
    import sympy
    from sympy.parsing.sympy_parser import (
        convert_xor,
        implicit_multiplication,
        parse_expr,
        standard_transformations,
    )

    transformations = standard_transformations + (convert_xor, implicit_multiplication)
    global_dict = {name: getattr(sympy, name) for name in PARSER_NAMES}
    global_dict.update({name: getattr(sympy, target) for name, target in FUNCTION_NAMES.items()})
    global_dict["__builtins__"] = {}
    equations = []
    for number, left, right in equation_sides(text):
        left, right = _safe_names(left, number), _safe_names(right, number)
        local_dict = {
            name: sympy.Symbol(name)
            for name in NAME.findall(left + " " + right)
            if name not in FUNCTION_NAMES
        }
        try:
            lhs, rhs = (
                parse_expr(
                    side,
                    local_dict=local_dict,
                    global_dict=global_dict,
                    transformations=transformations,
                )
                for side in (left, right)
            )
            residual = lhs - rhs
            if divisors is not None:
                for side in (left, right):
                    divisors += denominators(side, local_dict, global_dict, transformations)
        # parse_expr raises many types (SyntaxError, TokenError, TypeError ...)
        except Exception as err:
            raise _Unparsable(
                f"line {number}: {left} = {right}: {type(err).__name__}: {err}"
            ) from None
        if not isinstance(residual, sympy.Expr):
            raise _Unparsable(f"line {number}: {left} = {right} is not an arithmetic equation")
        if residual != 0:
            equations.append(residual)
    return equations


def solve_here(text: str) -> VerifyResult:
    """Parse and solve in this process (no time bound); the pool runs it in a confined child under a
    deadline."""
    import sympy

    from distill_lib.verify.solver import Unsolved, is_zero, solve_residuals

    reason = size_violation(text, max_line_chars=MAX_LINE_CHARS)
    if reason:
        return VerifyResult(None, "too_complex", reason)
    divisors: list = []
    try:
        residuals = parse_system(text, divisors)
    except _Unparsable as err:
        return VerifyResult(None, "unparsable", shorten(str(err)))
    if any(not residual.free_symbols and not is_zero(residual) for residual in residuals):
        return VerifyResult(None, "unsolvable", "an equation is never true (e.g. `ans = ans + 1`)")
    ans = sympy.Symbol("ans")
    if not any(ans in residual.free_symbols for residual in residuals):
        return VerifyResult(None, "no_answer", "no equation mentions `ans`")
    try:
        solution = solve_residuals(residuals)
    except Unsolved as err:
        return VerifyResult(None, err.status, err.detail)
    undefined = _zero_divisor(divisors, solution)
    if undefined:
        return VerifyResult(None, "non_numeric", undefined)
    return _answer(solution.get(ans))


def _zero_divisor(divisors: list, solution: dict) -> str:
    """A detail naming the first denominator that the solution makes zero (`x / x` at x = 0 is
    undefined, not 1), or ''."""
    import sympy

    from distill_lib.verify.solver import is_zero

    for divisor in divisors:
        value = divisor.xreplace(solution)
        if not value.free_symbols and (value.has(sympy.nan, sympy.zoo) or is_zero(value)):
            return shorten(f"undefined: division by {printable(divisor)} = 0")
    return ""


def _answer(value: object) -> VerifyResult:
    """`ok` for a finite real number; underdetermined or non_numeric otherwise."""
    import sympy

    if value is None or value.free_symbols:
        shown = printable(value) if value is not None else "?"
        return VerifyResult(None, "underdetermined", shorten(f"ans = {shown}"))
    if value.has(sympy.nan, sympy.zoo, sympy.oo):
        return VerifyResult(
            None, "non_numeric", shorten(f"undefined: ans = {printable(value)} (a division by 0)")
        )
    if not value.is_real:
        return VerifyResult(
            None, "non_numeric", shorten(f"ans = {printable(value)} is not a real number")
        )
    try:
        return number_result(float(value))
    except (TypeError, ValueError, OverflowError) as err:
        return VerifyResult(
            None, "non_numeric", shorten(f"ans = {printable(value)} is not a float: {err}")
        )


class EquationPool(VerifierPool):
    """Pre-started workers that solve equation systems: `with EquationPool(2) as pool:
    pool.map(texts)`."""

    def __init__(self, workers: int = 2, timeout_s: float = 5.0, memory_mb: int = 512) -> None:
        super().__init__("equations", workers=workers, timeout_s=timeout_s, memory_mb=memory_mb)
