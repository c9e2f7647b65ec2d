"""Released PaLM-540B outputs of the Distilling step-by-step release: reading and parsing.

Each `<ds>/llm/{split}_CoT_{i}.json` is a JSON array of raw few-shot-CoT continuations, aligned by
index with the split file; chunks are concatenated in numeric order. `parse_palm_output` applies the
reference loader's rules (see ../shared/data/README.md "Parse rules" and the parity tests),
including its quirks: a failed parse gives a blank rationale and label, and malformed labels are
kept as they are.

Deliberately left out: scoring against gold (distill_lib.papers.dss.data) and any cleaning beyond
the reference's.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from distill_lib.data.records import DataUnavailable
from distill_lib.prompts.parsers import Parsed


def parse_cqa(text: str) -> tuple[str, str]:
    body = text.split("Q:")[0].rstrip()
    parts = body.split("So the answer is")
    if len(parts) != 2:
        return "", ""
    pieces = re.split(r"\(.\)", parts[1])
    label = pieces[1].strip() if len(pieces) > 1 else ""
    if not label:  # the reference's fallback when there is no "(x) choice" after the marker
        return parts[0].rstrip(), " "
    return parts[0].rstrip(), label[:-1] if label.endswith(".") else label


def parse_svamp(text: str) -> tuple[str, str]:
    body = text.split("Q:")[0].rstrip()
    parts = body.split("The answer is")
    if len(parts) != 2:
        return " ", " "
    match = re.search(r"\(.*\)", parts[1])
    return parts[0].rstrip(), match.group(0) if match else " "


def parse_anli(text: str) -> tuple[str, str]:
    body = text.split("Premise:")[0].rstrip()
    parts = body.split("So the answer is")
    if len(parts) != 2:
        return "", ""
    return parts[0].rstrip(), parts[1].strip()[:-1]


def parse_esnli(text: str) -> tuple[str, str]:
    rationale = text.split("Answer:")[0].rstrip()
    if "Answer: " not in text:
        return rationale, " "
    return rationale, text.split("Answer: ", 1)[1].split("Premise")[0].rstrip()


PARSERS = {"cqa": parse_cqa, "svamp": parse_svamp, "anli1": parse_anli, "esnli": parse_esnli}


def parse_palm_output(dataset: str, text: str) -> tuple[str, str]:
    """(rationale, label) from one raw PaLM completion, by the reference rules for `dataset`."""
    if dataset not in PARSERS:
        raise KeyError(f"no PaLM parser for dataset '{dataset}'; known: {sorted(PARSERS)}")
    return PARSERS[dataset](text)


def read_palm_outputs(data_dir: Path, dataset: str, split: str) -> list[str]:
    """All raw completions for one split, chunks `{split}_CoT_{i}.json` concatenated in numeric
    order."""
    folder = data_dir / "dss" / dataset / "llm"
    chunks = sorted(folder.glob(f"{split}_CoT_*.json"), key=lambda p: int(p.stem.rsplit("_", 1)[1]))
    if not chunks:
        raise DataUnavailable(
            f"no PaLM outputs for {dataset}/{split}: looked for {folder}/{split}_CoT_*.json "
            "(they ship in datasets.zip of google-research/distilling-step-by-step)"
        )
    outputs: list[str] = []
    for chunk in chunks:
        try:
            items = json.loads(chunk.read_text())
        except json.JSONDecodeError as err:
            raise ValueError(f"{chunk}: not valid JSON ({err})") from None
        bad = next((i for i, s in enumerate(items) if not isinstance(s, str)), None)
        if not isinstance(items, list) or bad is not None:
            raise ValueError(
                f"{chunk}: expected a JSON array of strings (entry {bad} is not a string)"
            )
        outputs.extend(items)
    return outputs


def parse_teacher(dataset: str, text: str) -> Parsed:
    """A live teacher's completion read with the release's rules (the templates' parser), so live
    and released PaLM output go through one parser; the reference's blank-label quirk (" ") becomes
    an empty label, since nothing here needs parity with it."""
    rationale, label = parse_palm_output(dataset, text)
    return Parsed(rationale, label.strip(), ok=bool(rationale.strip() and label.strip()))
