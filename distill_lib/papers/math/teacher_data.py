"""Released teacher outputs for math distillation as records, their clean-up, and verified
filtering.

Sources (see ../shared/data/teacher/*/SOURCE.md):
  - ReFT release: gpt-3.5-turbo CoT text and `def solution(): ... return result` programs for 3,076
    / 3,043 MAWPS + ASDiv-A problems (`load_reft_svamp`), kept upstream only when correct.
  - GSM8K train programs by gemini-2.5-flash + gpt-4.1, written with the gold solution in view
    (`load_gsm8k_train_programs`; 9,184 programs for 7,305 problems; no license: never commit or
    redistribute).

`clean_program` makes the GSM8K programs look like PoT targets: the docstring and the `# L<k>` / `#
FA` markers go, quoted-span comments stay, and the `solve()` body is flattened to top level with the
final `return x` becoming `ans = x`, so every PoT target ends in `ans = ...` (a program whose only
return is not its last statement keeps its function and gets `ans = solve()` appended).
`program_to_equations` rewrites a straight-line program as an EoT-style system (a derived format,
not teacher EoT). `keep_verified` keeps verified-correct, de-duplicated rationales and reports the
yield.

Deliberately left out: calling a teacher (distill_lib.teacher), building student inputs
(distill_lib.methods).
"""

from __future__ import annotations

import ast
import gzip
import io
import json
import re
import textwrap
import tokenize
from collections import Counter
from pathlib import Path
from typing import Any

from datasets import Dataset

from distill_lib.data.records import DataUnavailable, make_record, resolve_data_dir
from distill_lib.papers.math.data import format_answer
from distill_lib.runs import read_json
from distill_lib.verify.answer import answers_match
from distill_lib.verify.batch import verify_many
from distill_lib.verify.equations import FUNCTION_NAMES

REFT_DIR = "teacher/reft-svamp-gpt35"
REFT_FILES = {"cot": "svamp_nl.json", "pot": "svamp_python_sdp.json"}
REFT_SOURCE = "gpt-3.5-turbo (ReFT release)"
GSM8K_PROGRAMS = "teacher/gsm8k-train-pot-gemini-gpt41/gsm8k_train_pot_programs.jsonl.gz"
GSM8K_PROGRAMS_SOURCE = "gemini-2.5-flash+gpt-4.1, gold-conditioned"
ENTRY_NAMES = ("solve", "solution")
MARKER = re.compile(r"^\s*#\s*(L\d+|FA)\s*$")
EQUATION_OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd)


def _teacher_file(data_dir: str | Path | None, relative: str) -> Path:
    root = resolve_data_dir(data_dir)
    if root is None or not (root / relative).exists():
        raise DataUnavailable(
            f"{relative} not found in the data dir ({root}); released teacher outputs have no "
            "hub copy here (see ../shared/data/teacher/README.md)"
        )
    return root / relative


def load_reft_svamp(fmt: str = "cot", data_dir: str | Path | None = None) -> Dataset:
    """ReFT gpt-3.5-turbo outputs: fmt "cot" (3,076 texts) or "pot" (3,043 programs); ids are
    `item_id`."""
    if fmt not in REFT_FILES:
        raise ValueError(f"ReFT format must be 'cot' or 'pot', got {fmt!r}")
    path = _teacher_file(data_dir, f"{REFT_DIR}/{REFT_FILES[fmt]}")
    records = []
    for i, row in enumerate(read_json(path)):
        try:
            answer = float(row["answer_value"])
            records.append(
                make_record(
                    row["item_id"],
                    row["question"].strip(),
                    format_answer(answer),
                    rationale=row["answer_cot"],
                    format=fmt,
                    source=REFT_SOURCE,
                    answer=answer,
                )
            )
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(
                f"{path}, item {i}: bad or missing field ({type(err).__name__}: {err})"
            ) from None
    return Dataset.from_list(records)


def load_gsm8k_train_programs(data_dir: str | Path | None = None, clean: bool = True) -> Dataset:
    """GSM8K-train programs as PoT records (id `gsm8k-train-{index}`, several per id); see
    `clean_program`."""
    path = _teacher_file(data_dir, GSM8K_PROGRAMS)
    records = []
    with gzip.open(path, "rt") as lines:
        for number, line in enumerate(lines, start=1):
            try:
                row = json.loads(line)
                program = clean_program(row["program"]) if clean else row["program"]
                records.append(
                    make_record(
                        f"gsm8k-train-{row['gsm8k_train_index']}",
                        row["question"].strip(),
                        format_answer(row["gold_answer"]),
                        rationale=program,
                        format="pot",
                        source=GSM8K_PROGRAMS_SOURCE,
                        answer=float(row["gold_answer"]),
                        model=row["model"],
                        tier=row["tier"],
                    )
                )
            except (KeyError, TypeError, ValueError, SyntaxError) as err:
                raise ValueError(f"{path}, line {number}: {type(err).__name__}: {err}") from None
    return Dataset.from_list(records)


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


def keep_verified(
    dataset: Dataset, fmt: str, workers: int = 2, timeout_s: float = 5.0
) -> tuple[Dataset, dict[str, Any]]:
    """Rows whose rationale verifies to the gold `answer` (|diff| < 1e-3), duplicates dropped first
    (the same question and the same thought up to whitespace, whatever the sample id: k samples of
    one question that agree count once); `llm_label` is set to the verified answer. Stats: n_in,
    n_unique, n_verified, n_kept, yield (n_kept / n_in), failures {status: count} (plus
    "wrong_answer" for verified but wrong)."""
    for column in ("rationale", "answer", "input"):
        if column not in dataset.column_names:
            raise ValueError(
                f"keep_verified: dataset has no {column!r} column (has {dataset.column_names})"
            )
    seen, unique = set(), []
    keys = zip(
        [" ".join(q.split()) for q in dataset["input"]],
        [" ".join(r.split()) for r in dataset["rationale"]],
        strict=True,
    )
    for index, key in enumerate(keys):
        if key not in seen:
            seen.add(key)
            unique.append(index)
    rationales, golds = dataset["rationale"], dataset["answer"]
    results = verify_many(
        fmt, [rationales[i] for i in unique], workers=workers, timeout_s=timeout_s
    )
    failures: Counter[str] = Counter(r.status for r in results if not r.ok)
    kept, labels = [], []
    for index, result in zip(unique, results, strict=True):
        if answers_match(result.answer, golds[index]):
            kept.append(index)
            labels.append(format_answer(result.answer))
        elif result.ok:
            failures["wrong_answer"] += 1
    filtered = dataset.select(kept).remove_columns("llm_label").add_column("llm_label", labels)
    stats = {
        "n_in": len(dataset),
        "n_unique": len(unique),
        "n_verified": sum(r.ok for r in results),
        "n_kept": len(kept),
        "yield": len(kept) / max(len(dataset), 1),
        "failures": dict(failures),
    }
    return filtered, stats
