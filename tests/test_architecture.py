"""The library's shape: shared layers import only layers below them, never a paper; papers never
import the orchestrators; no shared module's control flow names a paper or a dataset."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "distill_lib"
# Shared layers, lowest first: a module may import its own layer or any layer before it.
LAYERS = [
    "config_values",
    "config_sections",
    "config",
    "hub",
    "progress",
    "models",
    "runs",
    "results",
    "data",
    "prompts",
    "teacher",
    "verify",
    "methods",
    "losses",
    "train",
    "evaluate",
    "metrics",
    "plots",
    "eta",
]
ORCHESTRATORS = {"experiment", "grid", "render", "cli"}  # may use distill_lib.papers.index
PAPER_WORDS = re.compile(
    r"\b(cqa|svamp|esnli|e-snli|anli1?|gsm8k|asdiv|multiarith|scigen|math-reft|math-gsm8k)\b",
    re.IGNORECASE,
)


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def imports_of(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.startswith("distill_lib")
        ):
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("distill_lib")]
    return found


def modules() -> list[tuple[str, Path]]:
    return [
        (".".join(p.relative_to(ROOT.parent).with_suffix("").parts), p)
        for p in sorted(ROOT.rglob("*.py"))
    ]


@pytest.mark.parametrize(
    "module,path", [m for m in modules() if layer_of(m[0]) in LAYERS], ids=lambda x: str(x)
)
def test_shared_layers_import_downward_only(module, path):
    own = LAYERS.index(layer_of(module))
    for imported in imports_of(path):
        layer = layer_of(imported)
        assert layer != "papers", f"{module} imports a paper ({imported})"
        assert layer not in ORCHESTRATORS, f"{module} imports the orchestrator {imported}"
        if layer in LAYERS:
            assert LAYERS.index(layer) <= own, (
                f"{module} (layer {layer_of(module)}) imports upward: {imported}"
            )


@pytest.mark.parametrize(
    "module,path", [m for m in modules() if layer_of(m[0]) == "papers"], ids=lambda x: str(x)
)
def test_papers_never_import_orchestrators(module, path):
    for imported in imports_of(path):
        assert layer_of(imported) not in ORCHESTRATORS, f"{module} imports {imported}"
        if (
            imported.startswith("distill_lib.papers.")
            and module.count(".") > 2
            and imported.count(".") > 2
        ):
            assert imported.split(".")[2] in (module.split(".")[2], "base", "rationales"), (
                f"{module} imports another paper's module {imported}"
            )


def code_without_docs(path: Path) -> list[tuple[int, str]]:
    """String constants used in comparisons, branches and calls (docstrings and comments left
    out).
    """
    tree = ast.parse(path.read_text())
    docstrings = {
        id(n.body[0].value)
        for n in ast.walk(tree)
        if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
        and n.body
        and isinstance(n.body[0], ast.Expr)
        and isinstance(n.body[0].value, ast.Constant)
    }
    return [
        (n.lineno, n.value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings
    ]


@pytest.mark.parametrize(
    "module,path", [m for m in modules() if layer_of(m[0]) != "papers"], ids=lambda x: str(x)
)
def test_no_paper_or_dataset_names_in_shared_code(module, path):
    named = [(line, text) for line, text in code_without_docs(path) if PAPER_WORDS.search(text)]
    assert not named, f"{module} names a paper's dataset in code: {named[:3]}"
