"""Solving an Equation-of-Thought answer: a system of equations over named variables, read `ans`.

Implements eotd.md §2.4 (the XoT approach, in our own code); the rules, statuses and the root rule
are written out in docs/verification.md:
  0. size first: a system longer than the text limit, with a line longer than the line limit, or
     with brackets nested deeper than the nesting limit (distill_lib.verify.limits) is
     `too_complex`, before it is parsed;
  1-3. lines to sides, light fixes, number literals in decimal and the arithmetic-only filter
     (distill_lib.verify.equation_text; hex, octal and binary literals are `unparsable`);
  4. each side is parsed by SymPy's `parse_expr` with the standard transformations plus
     `convert_xor` (`^` is a power, as teachers write it: `2^3` is 8, never Python's xor) and
     `implicit_multiplication` only (never `split_symbols`, so `pencil_per_box` stays one symbol).
     Every name in the text is passed in `local_dict` as a plain Symbol (so `E`, `I`, `S`, `N`,
     `beta` are unknowns, not constants or functions), except `sqrt floor ceiling abs min max`. The
     parse runs with empty builtins. SymPy's parser still evaluates the code it builds from the
     text, so the whole solve runs in a confined forked child like a program
     (distill_lib.verify.isolation), not only under a deadline;
  5. trivially true equations are dropped. Before solving: a division by zero as written (`1/0`,
     `0/0`) is `undefined`; a line whose unknowns cancel into a false equation while a name stands
     on both sides (`ans = ans + 1`, `x = x + 5`) is `self_reference`; any other false equation
     without unknowns (`3 = 4`) is `unsolvable`;
  6. `ans` must occur (`no_answer`); the system is solved (distill_lib.verify.solver: linear
     substitution, real roots of high-degree polynomials in one unknown, then `sympy.solve`; several
     real solutions are `ambiguous` unless exactly one is non-negative) and `ans` is read from the
     chosen solution. A denominator as written (`x / x`) that the solution makes zero is
     `undefined` (SymPy's evaluation would have made `x / x` 1); `ans` must be a real number that
     fits a float (`2**2000` is `non_numeric`, as in the program path).
Other named failures: underdetermined (`ans` not fixed), too_complex, timeout and memory (the
child's deadline and memory cap, see `distill_lib.verify.batch`). Long details keep their head (the
line) and their tail (the cause).

Deliberately left out: inequalities and units.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from distill_lib.verify.batch import VerifierPool
from distill_lib.verify.equation_text import (
    FUNCTION_NAMES,
    PARSER_NAMES,
    Unparsable,
    equation_sides,
    safe_names,
    unknowns,
)
from distill_lib.verify.limits import MAX_LINE_CHARS, size_violation
from distill_lib.verify.result import VerifyResult, number_result, printable, shorten

if TYPE_CHECKING:
    from sympy import Expr

__all__ = [
    "FUNCTION_NAMES",
    "EquationPool",
    "ParseNotes",
    "equation_sides",
    "parse_system",
    "solve_here",
]


@dataclass
class ParseNotes:
    """What the checks after parsing need besides the residuals: the denominators as written, and
    the lines that define a name by itself (`ans = ans + 1`)."""

    divisors: list = field(default_factory=list)
    self_references: list[str] = field(default_factory=list)


def parser_context() -> tuple[dict, tuple]:
    """SymPy's parser settings for every side: (global_dict, transformations). The global names are
    the parser's own (PARSER_NAMES) and the functions, with empty builtins."""
    import sympy
    from sympy.parsing.sympy_parser import (
        convert_xor,
        implicit_multiplication,
        standard_transformations,
    )

    global_dict = {name: getattr(sympy, name) for name in PARSER_NAMES}
    global_dict.update({name: getattr(sympy, target) for name, target in FUNCTION_NAMES.items()})
    global_dict["__builtins__"] = {}
    return global_dict, standard_transformations + (convert_xor, implicit_multiplication)


def denominators(side: str, local_dict: dict, context: tuple[dict, tuple]) -> list:
    """The bases of negative powers in the side as written (unevaluated, so `x / x` keeps its `x`),
    to be checked against the solution: SymPy's evaluation would turn `x / x` into 1."""
    import sympy
    from sympy.parsing.sympy_parser import parse_expr

    if "/" not in side:  # a second parse only where a denominator is written
        return []
    global_dict, transformations = context
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


def parse_system(text: str, notes: ParseNotes | None = None) -> list:
    """One SymPy residual `lhs - rhs` (meaning `= 0`) per equation line, trivially true ones
    (residual 0) dropped; raises Unparsable naming the line. Residuals rather than `Eq` objects:
    same meaning, and `Eq`'s evaluation costs more than the rest of the solve. `notes`, when given,
    collects the denominators as written and the lines that define a name by itself."""
    context = parser_context()
    notes = ParseNotes() if notes is None else notes
    equations = []
    for number, left, right in equation_sides(text):
        left, right = safe_names(left, number), safe_names(right, number)
        residual = _parse_line(f"line {number}: {left} = {right}", left, right, context, notes)
        if residual != 0:
            equations.append(residual)
    return equations


def _parse_line(
    line: str, left: str, right: str, context: tuple[dict, tuple], notes: ParseNotes
) -> Expr:
    """The residual of one filtered line (`line` names it in messages); its denominators and a
    self-reference go to `notes`. Raises Unparsable."""
    import sympy
    from sympy.parsing.sympy_parser import parse_expr

    global_dict, transformations = context
    local_dict = {name: sympy.Symbol(name) for name in unknowns(left + " " + right)}
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
        for side in (left, right):
            notes.divisors += denominators(side, local_dict, context)
    # parse_expr raises many types (SyntaxError, TokenError, TypeError ...)
    except Exception as err:
        raise Unparsable(f"{line}: {type(err).__name__}: {err}") from None
    if not isinstance(residual, sympy.Expr):
        raise Unparsable(f"{line} is not an arithmetic equation")
    if _never_true(residual) and unknowns(left) & unknowns(right):
        notes.self_references.append(line)
    return residual


def _never_true(residual: Expr) -> bool:
    """A residual without unknowns that is not zero (`3 = 4`; also `ans = ans + 1` once `ans`
    cancels); a division by zero (nan, zoo) is not counted here but as undefined."""
    import sympy

    from distill_lib.verify.solver import is_zero

    if residual.free_symbols or residual.has(sympy.nan, sympy.zoo):
        return False
    return not is_zero(residual)


def solve_here(text: str) -> VerifyResult:
    """Parse and solve in this process (no time bound); the pool runs it in a confined child under a
    deadline."""
    import sympy

    from distill_lib.verify.solver import Unsolved, solve_residuals

    reason = size_violation(text, max_line_chars=MAX_LINE_CHARS)
    if reason:
        return VerifyResult(None, "too_complex", reason)
    notes = ParseNotes()
    try:
        residuals = parse_system(text, notes)
    except Unparsable as err:
        return VerifyResult(None, "unparsable", shorten(str(err)))
    failure = _failure_before_solving(residuals, notes)
    if failure is not None:
        return failure
    try:
        solution = solve_residuals(residuals)
    except Unsolved as err:
        return VerifyResult(None, err.status, err.detail)
    undefined = _zero_divisor(notes.divisors, solution)
    if undefined:
        return VerifyResult(None, "undefined", undefined)
    return _answer(solution.get(sympy.Symbol("ans")))


def _failure_before_solving(residuals: list, notes: ParseNotes) -> VerifyResult | None:
    """What the parsed system shows without solving (step 5 and the `ans` check of step 6), in this
    order: undefined, self_reference, unsolvable, no_answer; None when it is worth solving."""
    import sympy

    undefined = _zero_divisor(notes.divisors, {})
    if not undefined and any(residual.has(sympy.nan, sympy.zoo) for residual in residuals):
        undefined = "a division by 0 as written"
    if undefined:
        return VerifyResult(None, "undefined", undefined)
    if notes.self_references:
        return VerifyResult(
            None,
            "self_reference",
            shorten(
                f"{notes.self_references[0]}: a name on both sides cancels out and leaves an "
                "equation that is never true"
            ),
        )
    if any(_never_true(residual) for residual in residuals):
        return VerifyResult(None, "unsolvable", "an equation without unknowns is never true")
    if not any(sympy.Symbol("ans") in residual.free_symbols for residual in residuals):
        return VerifyResult(None, "no_answer", "no equation mentions `ans`")
    return None


def _zero_divisor(divisors: list, solution: dict) -> str:
    """A detail naming the first denominator that the solution makes zero (`x / x` at x = 0 is
    undefined, not 1; with an empty solution, a denominator that is zero as written), or ''."""
    import sympy

    from distill_lib.verify.solver import is_zero

    for divisor in divisors:
        value = divisor.xreplace(solution)
        if not value.free_symbols and (value.has(sympy.nan, sympy.zoo) or is_zero(value)):
            shown = "0" if divisor == 0 else f"{printable(divisor)}, which is 0"
            return shorten(f"a division by {shown}")
    return ""


def _answer(value: Expr | None) -> VerifyResult:
    """`ok` for a finite real number; underdetermined, undefined or non_numeric otherwise."""
    import sympy

    if value is None or value.free_symbols:
        shown = printable(value) if value is not None else "?"
        return VerifyResult(None, "underdetermined", shorten(f"ans = {shown}"))
    if value.has(sympy.nan, sympy.zoo, sympy.oo):
        return VerifyResult(
            None, "undefined", shorten(f"ans = {printable(value)} (a division by zero)")
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
