"""The text steps of solving an Equation-of-Thought answer, before SymPy sees any of it.

`equation_sides` turns the text into (line number, left, right) (eotd.md §2.4 steps 1-3, see
distill_lib.verify.equations): comment and empty lines skipped, `$` removed, the first `=` splits,
light fixes applied. Number literals are read as a teacher writes them, in decimal: a hex, octal or
binary literal (`0x1F`, `0o17`, `0b101`) is refused as `Unparsable` (SymPy's parser would read
`0x1F` as `0*x1F`, and `0o17` as a product too); leading zeros are dropped (`017` is 17, not octal
15 and not `0*17`), and digit groups lose their underscores (`1_000` is 1000, not `1*_000`).

`safe_names` is the filter every side passes before it is parsed: ASCII arithmetic, names and
parentheses only; no `__`; no attribute access (a dot followed by a name, whatever stands before
it); and names that would change the parser's own code get a trailing `_` (Python keywords, and the
SymPy names the generated code calls, PARSER_NAMES: `Integer = 7` is a variable, not a replacement
of `Integer(7)`).

Deliberately left out: parsing with SymPy and solving (distill_lib.verify.equations, .solver).
"""

from __future__ import annotations

import keyword
import re

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
DIGIT_GROUPS = re.compile(r"(?<![A-Za-z0-9_])\d+(?:_\d+)+")  # `1_000`, also after a decimal point
LEADING_ZEROS = re.compile(r"(?<![A-Za-z0-9_.])0+(?=\d)")  # `017`, `007.5`; never `0.5` or `1.05`
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


class Unparsable(ValueError):
    """A line that cannot be turned into an equation; the message names the line."""


def equation_sides(text: str) -> list[tuple[int, str, str]]:
    """(line number, left, right) for every equation line, light fixes applied; raises Unparsable
    for a line with a hex, octal or binary literal."""
    sides = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("%", "#")) or "=" not in line:
            continue
        left, right = line.replace("$", "").split("=", 1)
        if NON_DECIMAL_LITERAL.search(line):
            raise Unparsable(f"line {number}: {line!r} has a hex, octal or binary literal")
        sides.append((number, light_fixes(left), light_fixes(right.split("=", 1)[0])))
    return sides


def light_fixes(side: str) -> str:
    """Thousands separators and digit-group underscores out, leading zeros dropped, `N%` ->
    `(N/100)`, a number before a name or `(` made a product (`3x` -> `3*x`)."""
    side = THOUSANDS.sub("", side.strip())
    side = DIGIT_GROUPS.sub(lambda match: match.group().replace("_", ""), side)
    side = LEADING_ZEROS.sub("", side)
    side = PERCENT.sub(r"(\1/100)", side)
    return NUMBER_BEFORE_NAME.sub(r"\1*", side)


def safe_names(side: str, line_number: int) -> str:
    """The side with keyword and parser names renamed; raises Unparsable for anything but plain
    arithmetic text."""
    if not side or ALLOWED_TEXT.fullmatch(side) is None:
        raise Unparsable(f"line {line_number}: {side!r} has characters outside arithmetic")
    if "__" in side or ATTRIBUTE_ACCESS.search(side):
        raise Unparsable(f"line {line_number}: {side!r} has attribute access or a dunder name")
    return NAME.sub(_safe_name, side)


def _safe_name(match: re.Match) -> str:
    """A name with a trailing `_` when it is a Python keyword or a name the parser's own code uses
    (`Integer = 7` must not replace the `Integer(7)` calls the parser writes for numbers)."""
    name = match.group()
    return name + "_" if keyword.iskeyword(name) or name in PARSER_NAMES else name


def unknowns(side: str) -> set[str]:
    """The names a (filtered) side mentions, functions left out."""
    return {name for name in NAME.findall(side) if name not in FUNCTION_NAMES}
