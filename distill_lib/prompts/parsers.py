"""From a teacher completion to (rationale, label, fields): the shared parts of every parser.

A template names its parser as `module:function[:argument]` (each paper keeps its parsers in its
package: papers/dss/palm.py, papers/math/parsers.py, papers/scigen/parsers.py); `parse_text` cuts
the completion at the first stop string (some servers keep it in the text) and applies that
function. Every parser returns `Parsed`.

Deliberately left out: judging whether an answer is right (distill_lib.verify, the papers' scoring).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Parsed:
    rationale: str
    label: str
    ok: bool
    fields: dict[str, Any] = field(default_factory=dict)


def cut_at_stop(text: str, stop: Iterable[str]) -> str:
    cuts = [text.find(s) for s in stop if s and s in text]
    return text[: min(cuts)] if cuts else text


def resolve_parser(spec: str) -> Callable[[str], Parsed]:
    """The parser a template names as `module:function[:argument]`, e.g.
    `distill_lib.papers.dss.palm:parse_teacher:cqa` calls parse_teacher("cqa", text); without an
    argument the function takes the text alone. An unknown module or function is a KeyError naming
    the spec."""
    module_name, _, rest = spec.partition(":")
    function_name, _, argument = rest.partition(":")
    try:
        function = getattr(importlib.import_module(module_name), function_name)
    except (ImportError, AttributeError, ValueError) as err:
        raise KeyError(
            f"parser '{spec}' cannot be found ({type(err).__name__}: {err}); write it as "
            "module:function[:argument]"
        ) from None
    return (lambda text: function(argument, text)) if argument else function


def parse_text(spec: str, completion: str, stop: Sequence[str] = ()) -> Parsed:
    """Apply the parser `spec` (module:function[:argument]) to one completion cut at its first stop
    string."""
    return resolve_parser(spec)(cut_at_stop(completion, stop).lstrip())


def parse_all(template: Any, completions: Iterable[str]) -> tuple[list[Parsed], int]:
    """Parse every completion with `template.parse`; also return how many failed (ok == False)."""
    parsed = [template.parse(text) for text in completions]
    return parsed, sum(not p.ok for p in parsed)
