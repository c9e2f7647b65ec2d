"""Solving an Equation-of-Thought answer: a system of equations over named variables, read `ans`.

Implements eotd.md §2.4 (the XoT approach, in our own code):
  1. lines are stripped; empty lines, lines starting with `%` or `#`, and lines without `=` are skipped;
  2. `$` is removed; a line splits at its first `=`, and the right side is cut at any further `=`;
  3. light fixes: thousands separators go (`1,200` -> `1200`), `N%` -> `(N/100)`, a number directly followed by a
     name or `(` becomes a product (`3x` -> `3*x`, `3(10)` -> `3*(10)`);
  4. each side is parsed by SymPy's `parse_expr` with the standard transformations plus `implicit_multiplication`
     only (never `split_symbols`, so `pencil_per_box` stays one symbol). Every name in the text is passed in
     `local_dict` as a plain Symbol (so `E`, `I`, `S`, `N`, `beta` are unknowns, not constants or functions),
     except `sqrt floor ceiling abs min max`; Python keywords used as names (`lambda`) get a trailing `_`.
     The text is checked first (ASCII arithmetic, names and parentheses only; no `__`, no `.name`), and the
     parse runs with empty builtins, so `parse_expr`'s internal eval cannot reach anything;
  5. trivially true equations are dropped; a trivially false one makes the system unsolvable;
  6. `ans` must occur; the system is solved for all its symbols (dict output) and `ans` is read from the first
     solution; it must be a real number.
Named failures: unparsable, no_answer (no `ans`), unsolvable, underdetermined, non_numeric, timeout (the solve
runs in a pool worker process under a SIGALRM deadline and a memory cap, see `distill_lib.verify.batch`).
Speed: single-unknown linear equations are solved by substitution first (`propagate_linear`, same answer),
and only what is left goes to `sympy.solve`.

Deliberately left out: inequalities, `^` as power (it stays Python's xor and fails), units, and choosing among
several solutions (the first one counts, as in XoT).
"""

from __future__ import annotations

import keyword
import re

from distill_lib.verify.batch import VerifierPool
from distill_lib.verify.result import VerifyResult

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
ALLOWED_TEXT = re.compile(r"[A-Za-z0-9_ \t.+\-*/()^]*")
ATTRIBUTE_ACCESS = re.compile(r"[A-Za-z_)\]]\s*\.\s*[A-Za-z_]")
THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%")
NUMBER_BEFORE_NAME = re.compile(r"(?<![A-Za-z0-9_.])(\d+(?:\.\d+)?)\s*(?=[A-Za-z_(])(?![eE][+-]?\d)")
FUNCTION_NAMES = {"sqrt": "sqrt", "floor": "floor", "ceiling": "ceiling", "abs": "Abs", "min": "Min",
                  "max": "Max"}


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
        sides.append((number, _light_fixes(left), _light_fixes(right.split("=", 1)[0])))
    return sides


def _light_fixes(side: str) -> str:
    side = THOUSANDS.sub("", side.strip())
    side = PERCENT.sub(r"(\1/100)", side)
    return NUMBER_BEFORE_NAME.sub(r"\1*", side)


def _safe_names(side: str, line_number: int) -> str:
    """The side with keyword names renamed; raises _Unparsable for anything but plain arithmetic text."""
    if not side or ALLOWED_TEXT.fullmatch(side) is None:
        raise _Unparsable(f"line {line_number}: {side!r} has characters outside arithmetic")
    if "__" in side or ATTRIBUTE_ACCESS.search(side):
        raise _Unparsable(f"line {line_number}: {side!r} has attribute access or a dunder name")
    return NAME.sub(lambda m: m.group() + "_" if keyword.iskeyword(m.group()) else m.group(), side)


def parse_system(text: str) -> list:
    """One SymPy residual `lhs - rhs` (meaning `= 0`) per equation line, trivially true ones (residual 0)
    dropped; raises _Unparsable naming the line. Residuals rather than `Eq` objects: same meaning, and
    `Eq`'s evaluation costs more than the rest of the solve."""
    import sympy
    from sympy.parsing.sympy_parser import implicit_multiplication, parse_expr, standard_transformations

    transformations = standard_transformations + (implicit_multiplication,)
    global_dict = {name: getattr(sympy, name) for name in ("Integer", "Float", "Rational", "Symbol", "Lambda",
                                                           "factorial", "factorial2")}
    global_dict.update({name: getattr(sympy, target) for name, target in FUNCTION_NAMES.items()})
    global_dict["__builtins__"] = {}
    equations = []
    for number, left, right in equation_sides(text):
        left, right = _safe_names(left, number), _safe_names(right, number)
        local_dict = {name: sympy.Symbol(name) for name in NAME.findall(left + " " + right)
                      if name not in FUNCTION_NAMES}
        try:
            lhs, rhs = (parse_expr(side, local_dict=local_dict, global_dict=global_dict,
                                   transformations=transformations) for side in (left, right))
            residual = lhs - rhs
        except Exception as err:  # parse_expr raises many types (SyntaxError, TokenError, TypeError ...)
            raise _Unparsable(f"line {number}: {left} = {right}: {type(err).__name__}: {err}") from None
        if not isinstance(residual, sympy.Expr):
            raise _Unparsable(f"line {number}: {left} = {right} is not an arithmetic equation")
        if residual != 0:
            equations.append(residual)
    return equations


def propagate_linear(residuals: list) -> tuple[dict, list] | None:
    """Values fixed by single-unknown linear equations, repeated until nothing changes, and the residuals left
    after substituting them; None when some equation becomes a false statement like `3 = 4`. A linear
    equation in one unknown has exactly one solution, so this gives the same answer as solving the whole
    system, only much faster than `sympy.solve` on it."""
    known: dict = {}
    progress = True
    while progress:
        progress, still_open = False, []
        for residual in residuals:
            residual = residual.xreplace(known) if known else residual
            free = residual.free_symbols
            if not free:
                if residual != 0:
                    return None
                continue
            symbol = next(iter(free))
            slope = residual.diff(symbol) if len(free) == 1 else None
            if slope is not None and not slope.free_symbols and slope != 0:
                known[symbol] = -residual.xreplace({symbol: 0}) / slope
                progress = True
            else:
                still_open.append(residual)
        residuals = still_open
    return known, residuals


def solve_here(text: str) -> VerifyResult:
    """Parse and solve in this process (no time bound); the pool runs it in a warm worker under a deadline."""
    import sympy

    try:
        residuals = parse_system(text)
    except _Unparsable as err:
        return VerifyResult(None, "unparsable", str(err)[:300])
    ans = sympy.Symbol("ans")
    if not any(ans in residual.free_symbols for residual in residuals):
        return VerifyResult(None, "no_answer", "no equation mentions `ans`")
    propagated = propagate_linear(residuals)
    if propagated is None:
        return VerifyResult(None, "unsolvable", "an equation is never true")
    solution, remaining = propagated
    if remaining:
        symbols = sorted(set().union(*(residual.free_symbols for residual in remaining)), key=str)
        try:
            solutions = sympy.solve(remaining, symbols, dict=True)
        except (NotImplementedError, ValueError, TypeError) as err:
            return VerifyResult(None, "unsolvable", f"sympy.solve failed: {type(err).__name__}: {err}"[:300])
        if not solutions:
            return VerifyResult(None, "unsolvable", "the system has no solution")
        solution.update(solutions[0])
    value = solution.get(ans)
    if value is None or value.free_symbols:
        return VerifyResult(None, "underdetermined", f"ans = {value if value is not None else '?'}"[:300])
    if not value.is_real:
        return VerifyResult(None, "non_numeric", f"ans = {value} is not a real number"[:300])
    return VerifyResult(float(value), "ok")


class EquationPool(VerifierPool):
    """Pre-started workers that solve equation systems: `with EquationPool(2) as pool: pool.map(texts)`."""

    def __init__(self, workers: int = 2, timeout_s: float = 5.0, memory_mb: int = 512) -> None:
        super().__init__("equations", workers=workers, timeout_s=timeout_s, memory_mb=memory_mb)
