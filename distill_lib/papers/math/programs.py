"""Released programs reshaped into training targets: `clean_program` makes a GSM8K program look like
a PoT target, `program_to_equations` rewrites a straight-line program as an EoT-style system.

`clean_program`: the docstring and the `# L<k>` / `# FA` markers go, quoted-span comments stay,
and the `solve()` body is flattened to top level with the final `return x` becoming `ans = x`, so
every PoT target ends in `ans = ...` (a program whose only return is not its last statement keeps
its function and gets `ans = solve()` appended). `program_to_equations` gives a derived format, not
teacher EoT: one equation per assignment, in the program's order.

Deliberately left out: reading the released files and verified filtering
(distill_lib.papers.math.teacher_data).
"""

from __future__ import annotations

import ast
import io
import re
import textwrap
import tokenize

from distill_lib.verify.equations import FUNCTION_NAMES

ENTRY_NAMES = ("solve", "solution")


MARKER = re.compile(r"^\s*#\s*(L\d+|FA)\s*$")


EQUATION_OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd)


def _entry_function(tree: ast.Module) -> ast.FunctionDef | None:
    functions = [
        node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name in ENTRY_NAMES
    ]
    return functions[-1] if functions else None


def _docstring_node(function: ast.FunctionDef) -> ast.Expr | None:
    first = function.body[0]
    is_doc = (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    )
    return first if is_doc else None


def clean_program(program: str) -> str:
    """Docstring and `# L<k>`/`# FA` markers removed; a `solve()` body flattened so it ends in `ans
    = <value>`."""
    tree = ast.parse(program)
    lines = program.splitlines()
    function = _entry_function(tree)
    if function is not None:
        doc = _docstring_node(function)
        body_start = doc.end_lineno if doc else function.body[0].lineno - 1
        head, tail = lines[: function.lineno - 1], lines[function.end_lineno :]
        final = function.body[-1]
        returns = [node for node in ast.walk(function) if isinstance(node, ast.Return)]
        if returns == [final] and final.value is not None:
            body = textwrap.dedent("\n".join(lines[body_start : final.lineno - 1])).splitlines()
            lines = head + body + [f"ans = {ast.get_source_segment(program, final.value)}"] + tail
        else:
            header = (
                lines[function.lineno - 1 : function.body[0].lineno - 1]
                if doc is None
                else lines[function.lineno - 1 : doc.lineno - 1]
            )
            lines = (
                head
                + header
                + lines[body_start : function.end_lineno]
                + tail
                + [f"ans = {function.name}()"]
            )
    kept = [line.rstrip() for line in lines if not MARKER.match(line)]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
    return text + "\n"


class _FractionToDivision(ast.NodeTransformer):
    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if (
            isinstance(node.func, ast.Name)
            and node.func.id == "Fraction"
            and 1 <= len(node.args) <= 2
            and not node.keywords
        ):
            return (
                node.args[0]
                if len(node.args) == 1
                else ast.BinOp(node.args[0], ast.Div(), node.args[1])
            )
        return node


def _is_equation_expression(node: ast.AST) -> bool:
    """Only numbers, names, + - * / ** and unary signs (Fraction calls already rewritten)."""
    for child in ast.walk(node):
        if isinstance(child, ast.Constant):
            if isinstance(child.value, bool) or not isinstance(child.value, (int, float)):
                return False
        elif not isinstance(
            child, (ast.Name, ast.Load, ast.BinOp, ast.UnaryOp, *EQUATION_OPERATORS)
        ):
            return False
        elif isinstance(child, ast.Name) and (child.id in FUNCTION_NAMES or child.id == "ans"):
            return False
    return True


def _comments_by_line(program: str) -> dict[int, tuple[str, bool]]:
    """line -> (comment text without '#', whether the line holds only the comment); markers
    dropped.
    """
    comments = {}
    for token in tokenize.generate_tokens(io.StringIO(program).readline):
        if token.type == tokenize.COMMENT and not MARKER.match(token.string):
            full_line = token.line.strip().startswith("#")
            comments[token.start[0]] = (token.string.lstrip("#").strip(), full_line)
    return comments


def _straight_line_statements(program: str) -> list[ast.stmt] | None:
    """The statements to translate (entry-function body or module body), or None if there is no such
    body."""
    tree = ast.parse(program)
    function = _entry_function(tree)
    statements = function.body if function is not None else tree.body
    if function is not None and _docstring_node(function) is not None:
        statements = statements[1:]
    statements = [s for s in statements if not isinstance(s, (ast.Import, ast.ImportFrom))]
    others = [
        s
        for s in tree.body
        if s is not function and not isinstance(s, (ast.Import, ast.ImportFrom))
    ]
    return None if (function is not None and others) or not statements else statements


def _equation_line(statement: ast.stmt, is_last: bool, assigned: set[str]) -> str | None:
    if is_last and isinstance(statement, ast.Return) and statement.value is not None:
        target, value = "ans", statement.value
    elif (
        is_last
        and isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
        and statement.targets[0].id == "ans"
    ):
        target, value = "ans", statement.value
    elif (
        isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
    ):
        target, value = statement.targets[0].id, statement.value
    else:
        return None
    value = _FractionToDivision().visit(value)
    if (
        target in assigned
        or target in FUNCTION_NAMES
        or (target == "ans" and not is_last)
        or not _is_equation_expression(value)
    ):
        return None
    assigned.add(target)
    return f"{target} = {ast.unparse(value)}"


def program_to_equations(program: str) -> str | None:
    """A straight-line program as an EoT system (`% comment` lines, `v = expr` lines, `ans = v`),
    else None.

    None for loops, branches, calls other than `Fraction(a, b)`, `//`, `%`, reassigned names, or a
    syntax error.
    """
    try:
        statements = _straight_line_statements(program)
        comments = _comments_by_line(program)
    except (SyntaxError, tokenize.TokenError):
        return None
    if statements is None:
        return None
    output, assigned, previous_end = [], set(), 0
    for index, statement in enumerate(statements):
        own_lines = range(statement.lineno, statement.end_lineno + 1)
        notes = [
            text
            for line, (text, full) in sorted(comments.items())
            if (previous_end < line < statement.lineno and full) or (line in own_lines and not full)
        ]
        equation = _equation_line(statement, index == len(statements) - 1, assigned)
        if equation is None:
            return None
        output += [f"% {note}" for note in notes if note] + [equation]
        previous_end = statement.end_lineno
    return "\n".join(output) if output[-1].startswith("ans = ") else None
