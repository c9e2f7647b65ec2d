"""One few-shot prompt template, loaded from a YAML file in a paper's `templates/` folder.

A template file holds: `version` (bump it whenever the rendered text changes: it enters the
teacher's cache key), `format` (cot | pot | eot | text), `parser` (module:function[:argument], see
parsers), `instruction`, `query` (the per-example layout up to where the teacher writes), `answer`
(the layout of a demonstration's answer), `exemplars` (demonstrations written as example dicts),
`separator` and `stop`. A demonstration is rendered as `query + answer`, so exemplars and the final
query share one layout. Callers may pass one extra demonstration (`demo`, e.g. the SciGen one-shot
table from the TRAIN split); it is placed after the built-in exemplars.

Example fields available to layouts: every key of the example, plus `input_oneline` (newlines as
spaces) and, for SciGen demos, `demo_triples` (rendered from `demo["triples"]` when given).

Deliberately left out: the choice of examples, tokenization and length limits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from distill_lib.config_values import ConfigError
from distill_lib.prompts.parsers import Parsed, parse_text, resolve_parser

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_GLOB = "papers/*/templates/*.yaml"  # each paper keeps its templates in its package
REQUIRED_KEYS = ("version", "format", "parser", "instruction", "query", "answer", "stop")


class TemplateError(ConfigError):
    """A template file or an example does not fit, or no template has the name; the message names
    the template and the field. A ConfigError: the command line reports it as one line, exit 2."""


@dataclass(frozen=True)
class Template:
    name: str
    version: str
    format: str
    parser: str
    instruction: str
    query: str
    answer: str
    exemplars: tuple[dict[str, Any], ...] = ()
    separator: str = "\n\n"
    stop: tuple[str, ...] = ()
    demo_required: bool = False
    system_message: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def _fill(self, layout: str, example: dict[str, Any], what: str) -> str:
        values = {**example, **derived_fields(example)}
        try:
            return layout.format_map(values)
        except KeyError as err:
            raise TemplateError(
                f"template '{self.name}': {what} has no field {err} "
                f"(fields given: {sorted(example)})"
            ) from None

    def demonstration(self, example: dict[str, Any]) -> str:
        """One worked example: the query layout followed by the answer layout."""
        return self._fill(self.query, example, "demonstration") + self._fill(
            self.answer, example, "demonstration"
        )

    def prompt_text(self, example: dict[str, Any], demo: dict[str, Any] | None = None) -> str:
        """The few-shot text without the instruction: demonstrations, then the example's query."""
        if self.demo_required and demo is None:
            raise TemplateError(
                f"template '{self.name}' needs a demonstration (demo=...) from the train split"
            )
        demos = [self.demonstration(d) for d in (*self.exemplars, *([demo] if demo else []))]
        return self.separator.join(
            [*demos, self._fill(self.query, example, f"example {example.get('id', '?')}")]
        )

    def render(
        self, example: dict[str, Any], demo: dict[str, Any] | None = None, chat: bool = True
    ) -> list[dict[str, str]] | str:
        """Chat messages (system instruction + one user message, or one user message when the
        template says `system_message: false`) or one completion prompt string."""
        text = self.prompt_text(example, demo)
        if chat and self.system_message:
            return [
                {"role": "system", "content": self.instruction},
                {"role": "user", "content": text},
            ]
        joined = f"{self.instruction}\n\n{text}"
        return [{"role": "user", "content": joined}] if chat else joined

    def parse(self, completion: str) -> Parsed:
        return parse_text(self.parser, completion, self.stop)


def derived_fields(example: dict[str, Any]) -> dict[str, str]:
    fields = {"input_oneline": " ".join(str(example.get("input", "")).split("\n"))}
    triples = example.get("triples") or []
    fields["demo_triples"] = "\n".join(
        f"Reasoning {k}: {t['reasoning']}\nStatement {k}: {t['statement']}\nVerification {k}: "
        f"{t['verification']}"
        for k, t in enumerate(triples, start=1)
    )
    return fields


def template_paths() -> dict[str, Path]:
    """Template name -> file, over every paper's templates folder (names are unique)."""
    return {p.stem: p for p in sorted(PACKAGE_ROOT.glob(TEMPLATE_GLOB))}


def template_names() -> list[str]:
    return sorted(template_paths())


@cache
def get_template(name: str) -> Template:
    """The template stored as `<name>.yaml` in a paper's templates folder; a clear error for unknown
    names, missing keys or a parser that cannot be found."""
    path = template_paths().get(name)
    if not name or path is None:
        raise TemplateError(f"unknown prompt template '{name}'; known: {template_names()}")
    data = yaml.safe_load(path.read_text()) or {}
    missing = [key for key in REQUIRED_KEYS if key not in data]
    if missing:
        raise TemplateError(f"{path}: missing key(s) {missing}")
    try:
        resolve_parser(data["parser"])
    except KeyError as err:
        raise TemplateError(f"{path}: {err.args[0]}") from None
    known = {
        "version",
        "format",
        "parser",
        "instruction",
        "query",
        "answer",
        "exemplars",
        "separator",
        "stop",
        "demo_required",
        "system_message",
    }
    return Template(
        name=name,
        version=str(data["version"]),
        format=data["format"],
        parser=data["parser"],
        instruction=data["instruction"].strip(),
        query=data["query"],
        answer=data["answer"],
        exemplars=tuple(data.get("exemplars") or ()),
        separator=data.get("separator", "\n\n"),
        stop=tuple(data["stop"]),
        demo_required=bool(data.get("demo_required", False)),
        system_message=bool(data.get("system_message", True)),
        extra={k: v for k, v in data.items() if k not in known},
    )
