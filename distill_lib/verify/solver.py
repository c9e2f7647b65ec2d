"""Solving a parsed equation system: residuals (`lhs - rhs`, meaning `= 0`) to one value per symbol.

`solve_residuals` works in three steps, repeated on what is left:
  1. `propagate_linear`: values fixed by single-unknown linear equations, substituted until nothing
     changes (the same answer `sympy.solve` gives, much faster; most teacher systems end here);
  2. a polynomial in one unknown of degree above SYMPY_DEGREE (4): its real roots, exactly, from the
     polynomial with its coefficients made rational (floats by their decimal text, other constants
     to 30 digits), smallest first; each root is substituted and the rest solved, and the first root
     that gives a solution counts. This step exists because `sympy.solve` on a system returns no
     solution at all for polynomials it cannot solve in radicals (degree 5 and up, e.g. `x**5 + x =
     5`) and spends minutes on large ones it can (`x**60 = 1`). Polynomials of degree above
     MAX_DEGREE are `too_complex` (measured from the expression's structure, before anything is
     expanded); one without real roots is `non_numeric`;
  3. `sympy.solve` on whatever remains.
Choosing among several solutions (step 2's roots, step 3's list): when more than one solution is
real, the one whose values are all non-negative counts if it is the only such one, and otherwise
the system is `ambiguous` (`x**2 = 16` gives 4; `x**2 - x = 0` is ambiguous): a word problem's
quantities are non-negative, and the order in which SymPy lists solutions says nothing about which
is meant.
Failures raise `Unsolved(status, detail)` with a VerifyResult status: unsolvable, non_numeric,
too_complex, ambiguous.

Deliberately left out: numeric solvers for non-polynomial equations, and inequalities.
"""

from __future__ import annotations

import sympy

from distill_lib.verify.result import printable, shorten

SYMPY_DEGREE = 4
MAX_DEGREE = 100
ROOT_DIGITS = 30
# an exact non-rational constant counts as zero when it is below 10**-(ZERO_DIGITS - 10)
ZERO_DIGITS = 50


class Unsolved(Exception):
    """No solution to report; `status` is the VerifyResult status, `detail` says why."""

    def __init__(self, status: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, shorten(detail)


def solve_residuals(residuals: list) -> dict:
    """One solution of `residual = 0` for every residual: symbol -> value (values may hold free
    symbols when the system is underdetermined). Raises Unsolved."""
    propagated = propagate_linear(residuals)
    if propagated is None:
        raise Unsolved("unsolvable", "an equation is never true")
    known, remaining = propagated
    if not remaining:
        return known
    high = _high_degree_univariate(remaining)
    if high is not None:
        return {**known, **_solve_by_real_roots(remaining, *high)}
    return {**known, **_sympy_solve(remaining)}


def propagate_linear(residuals: list) -> tuple[dict, list] | None:
    """Values fixed by single-unknown linear equations, repeated until nothing changes, and the
    residuals left after substituting them; None when some equation becomes a false statement like
    `3 = 4`. A linear equation in one unknown has exactly one solution, so this gives the same
    answer as solving the whole system, only much faster than `sympy.solve` on it."""
    known: dict = {}
    progress = True
    while progress:
        progress, still_open = False, []
        for residual in residuals:
            residual = residual.xreplace(known) if known else residual
            free = residual.free_symbols
            if not free:
                if not is_zero(residual):
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


def is_zero(constant: sympy.Expr) -> bool:
    """Whether a constant residual is zero: exactly for rationals and floats (as before),
    numerically for exact non-rational constants such as a polynomial evaluated at one of its roots,
    which SymPy does not simplify."""
    if constant == 0:
        return True
    if constant.is_Rational or constant.has(sympy.Float):
        return False
    return abs(sympy.N(constant, ZERO_DIGITS)) < sympy.Float(10) ** -(ZERO_DIGITS - 10)


def degree_bound(expr: sympy.Expr, symbols: set) -> int | None:
    """The total degree of `expr` in `symbols` from its structure (nothing expanded), or None when
    it is not a polynomial in them (a negative or symbolic power, a function of them)."""
    if not expr.free_symbols & symbols:
        return 0
    if expr.is_Symbol:
        return 1
    if expr.is_Add or expr.is_Mul:
        parts = [degree_bound(arg, symbols) for arg in expr.args]
        if None in parts:
            return None
        return max(parts) if expr.is_Add else sum(parts)
    if expr.is_Pow and expr.exp.is_Integer and expr.exp >= 0:
        base = degree_bound(expr.base, symbols)
        return None if base is None else base * int(expr.exp)
    return None


def _high_degree_univariate(residuals: list) -> tuple | None:
    """(residual, symbol, degree) for the first polynomial in one unknown of degree above
    SYMPY_DEGREE."""
    for residual in residuals:
        if len(residual.free_symbols) == 1:
            degree = degree_bound(residual, residual.free_symbols)
            if degree is not None and degree > SYMPY_DEGREE:
                return residual, next(iter(residual.free_symbols)), degree
    return None


def _solve_by_real_roots(
    residuals: list, residual: sympy.Expr, symbol: sympy.Symbol, degree: int
) -> dict:
    """Step 2: try the real roots of `residual` in `symbol`, smallest first, solving the rest for
    each; several solutions are chosen among by `choose_solution`."""
    first_failure, solutions = None, []
    for root in real_roots(residual, symbol, degree):
        others = [other.xreplace({symbol: root}) for other in residuals if other is not residual]
        try:
            solutions.append({symbol: root, **solve_residuals(others)})
        except Unsolved as failure:
            first_failure = first_failure or failure
    if not solutions:
        raise first_failure
    return choose_solution(solutions)


def choose_solution(solutions: list[dict]) -> dict:
    """The one solution to report (module docstring): the only real one, else the only real one
    with all values non-negative; raises Unsolved('ambiguous') when several qualify or none does.
    A solution with free symbols, or a list without real solutions, keeps the first one (the caller
    reports it as underdetermined or non_numeric)."""
    if len(solutions) == 1 or any(_open(solution) for solution in solutions):
        return solutions[0]
    real = [s for s in solutions if all(v.is_real for v in s.values())]
    if len(real) <= 1:
        return real[0] if real else solutions[0]
    non_negative = [s for s in real if all(v.is_nonnegative for v in s.values())]
    if len(non_negative) == 1:
        return non_negative[0]
    shown = "; ".join(
        ", ".join(f"{k} = {printable(v)}" for k, v in sorted(s.items(), key=str)) for s in real[:4]
    )
    raise Unsolved(
        "ambiguous",
        f"{len(real)} real solutions, {len(non_negative)} of them non-negative: {shown}",
    )


def _open(solution: dict) -> bool:
    return any(value.free_symbols for value in solution.values())


def real_roots(residual: sympy.Expr, symbol: sympy.Symbol, degree: int) -> list:
    """The distinct real roots of a polynomial in `symbol`, ascending, exact; raises Unsolved."""
    if degree > MAX_DEGREE:
        raise Unsolved(
            "too_complex",
            f"{printable(residual)} = 0 has degree {degree} in {symbol}; the solver "
            f"takes polynomials up to degree {MAX_DEGREE}",
        )
    coefficients = [_rational(c) for c in sympy.Poly(residual, symbol).all_coeffs()]
    if None in coefficients:
        raise Unsolved(
            "non_numeric", f"{printable(residual)} = 0 has coefficients that are not real numbers"
        )
    roots = list(dict.fromkeys(sympy.Poly(coefficients, symbol).real_roots(radicals=False)))
    if not roots:
        raise Unsolved("non_numeric", f"{printable(residual)} = 0 has no real root")
    return roots


def _rational(coefficient: sympy.Expr) -> sympy.Rational | None:
    """A rational with the coefficient's value: exact for rationals, a float's decimal text, else 30
    digits."""
    if coefficient.is_Rational:
        return coefficient
    if coefficient.is_Float:
        return sympy.Rational(str(coefficient))
    value = sympy.N(coefficient, ROOT_DIGITS)
    return sympy.Rational(str(value)) if value.is_Float else None


def _sympy_solve(residuals: list) -> dict:
    """Step 3: the solution `sympy.solve` finds for the whole remaining system, chosen by
    `choose_solution` when it finds several."""
    symbols = sorted(set().union(*(residual.free_symbols for residual in residuals)), key=str)
    try:
        solutions = sympy.solve(residuals, symbols, dict=True)
    except (NotImplementedError, ValueError, TypeError) as err:
        raise Unsolved("unsolvable", f"sympy.solve failed: {type(err).__name__}: {err}") from None
    if not solutions:
        degrees = [degree_bound(residual, set(symbols)) for residual in residuals]
        if None not in degrees and max(degrees) > SYMPY_DEGREE:
            raise Unsolved(
                "unsolvable",
                f"sympy.solve found no solution of this polynomial system in several "
                f"unknowns of degree {max(degrees)}; above degree {SYMPY_DEGREE} it may "
                "miss roots that exist",
            )
        raise Unsolved("unsolvable", "the system has no solution")
    return choose_solution(solutions)
