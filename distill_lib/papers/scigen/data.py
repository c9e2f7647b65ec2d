"""SciGen (Moosavi et al. 2021): load scientific tables and their descriptions as shared records.

A SciGen file is a JSON object keyed "0".."N-1"; each entry holds `table_caption`,
`table_column_names`, `table_content_values` (rows of strings) and `text` (sentences joined with
`[CONTINUE]`). This module (the `Table` itself is shared, in distill_lib.data.table, since table
metrics use it too):
  - `linearize(table)`: the SciGen baseline input `<R> <C> h1 <C> h2 <R> <C> v11 ... <CAP> caption`,
    cells verbatim;
  - `load_scigen(split, data_dir, size)`: records with id `{split}-{key}`, input = linearized table,
    label = `clean_text(text)` and extra columns `table` (JSON), `paper_id`, `caption`.
A ragged row or a missing field raises `ScigenFormatError` naming the file, key and field; nothing
is repaired.

Deliberately left out: the teacher prompt, the `<COT>` distilled pairs and any stripping of markup
from the model input (an ablation, not the reference behaviour). `[HTML]`/`[URL]` markup is kept
everywhere.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import datasets

from distill_lib.data.records import (
    DataFormatError,
    DataUnavailable,
    make_record,
    resolve_data_dir,
)
from distill_lib.data.table import Table
from distill_lib.hub import hub_unavailable
from distill_lib.papers.scigen.options import SIZES

HUB_ID = "kasnerz/scigen"  # medium train/dev + test-CL, lists stringified
UPSTREAM = "UKPLab/SciGen"
UPSTREAM_PATHS = {
    ("train", "medium"): "dataset/train/medium/train.json",
    ("dev", "medium"): "dataset/development/medium/dev.json",
    ("train", "large"): "dataset/train/large/train.zip",
    ("dev", "large"): "dataset/development/large/dev.json",
}
# kasnerz/scigen split names (not verified offline)
HUB_SPLITS = {"train": "train", "dev": "validation"}
SPLITS = ("train", "dev", "test-CL", "test-Other", "test")
REQUIRED_FIELDS = (
    "paper_id",
    "table_caption",
    "table_column_names",
    "table_content_values",
    "text",
)

_WHITESPACE = re.compile(r"\s+")


class ScigenFormatError(DataFormatError):
    """An entry does not follow the SciGen format; the message names the file, key and field."""


def clean_text(text: str) -> str:
    """A description as a reference: `[CONTINUE]` becomes a space, whitespace is collapsed."""
    return _WHITESPACE.sub(" ", text.replace("[CONTINUE]", " ")).strip()


def linearize(table: Table) -> str:
    """`<R> <C> h1 <C> h2 <R> <C> v11 <C> v12 ... <CAP> caption`: SciGen's convert_json_files.py,
    cells verbatim."""
    rows = [table.header, *table.rows]
    text = " ".join("<R> <C> " + " <C> ".join(row) for row in rows)
    return f"{text} <CAP> {table.caption}"


def table_from_entry(entry: dict[str, Any], where: str) -> Table:
    """Check one raw entry (`where` = 'file, key ...' for errors) and build its Table."""
    for name in REQUIRED_FIELDS:
        if name not in entry:
            raise ScigenFormatError(f"{where}: missing field '{name}'")
    header, rows = entry["table_column_names"], entry["table_content_values"]
    if not isinstance(header, list) or not all(isinstance(h, str) for h in header):
        raise ScigenFormatError(f"{where}: field 'table_column_names' must be a list of strings")
    if not isinstance(rows, list):
        raise ScigenFormatError(f"{where}: field 'table_content_values' must be a list of rows")
    for i, row in enumerate(rows):
        if not isinstance(row, list) or not all(isinstance(c, str) for c in row):
            raise ScigenFormatError(f"{where}: table_content_values[{i}] must be a list of strings")
        if len(row) != len(header):
            raise ScigenFormatError(
                f"{where}: table_content_values[{i}] has {len(row)} cells but "
                f"table_column_names has {len(header)}"
            )
    return Table(caption=entry["table_caption"], header=list(header), rows=[list(r) for r in rows])


def entry_to_record(split: str, key: str, entry: dict[str, Any], where: str) -> dict[str, Any]:
    table = table_from_entry(entry, where)
    return make_record(
        f"{split}-{key}",
        linearize(table),
        clean_text(entry["text"]),
        format="text",
        table=json.dumps(table.to_dict()),
        paper_id=entry["paper_id"],
        caption=table.caption,
    )


def read_scigen_file(path: Path, split: str) -> list[dict[str, Any]]:
    """Records of one SciGen JSON file, in integer key order."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ScigenFormatError(f"{path}: not valid JSON ({err})") from err
    if not isinstance(data, dict):
        raise ScigenFormatError(
            f"{path}: expected a JSON object keyed '0'..'N-1', got {type(data).__name__}"
        )
    try:
        keys = sorted(data, key=int)
    except ValueError as err:
        raise ScigenFormatError(f"{path}: keys must be integer strings ({err})") from err
    return [entry_to_record(split, key, data[key], f"{path}, key '{key}'") for key in keys]


def read_hub_split(split: str) -> list[dict[str, Any]]:
    """Medium train/dev from the hub copy, whose table fields are stringified Python lists."""
    hub_split = HUB_SPLITS[split]
    rows = datasets.load_dataset(HUB_ID, split=hub_split)
    records = []
    for i, row in enumerate(rows):
        where = f"hub {HUB_ID} [{hub_split}], row {i}"
        entry = dict(row)
        for name in ("table_column_names", "table_content_values"):
            if isinstance(entry.get(name), str):
                entry[name] = ast.literal_eval(entry[name])
        records.append(entry_to_record(split, str(i), entry, where))
    return records


def _unavailable(split: str, size: str, reason: str) -> DataUnavailable:
    upstream = UPSTREAM_PATHS.get((split, size), "?")
    hub = (
        f"the hub dataset '{HUB_ID}' (medium only)"
        if size == "medium"
        else f"not on the hub ('{HUB_ID}' is medium)"
    )
    return DataUnavailable(
        f"SciGen {size} {split}: {reason}. Upstream: {UPSTREAM} '{upstream}'; {hub}; or place "
        f"the file as <data_dir>/scigen/{size}/{split}.json"
    )


def local_path(split: str, size: str, data_dir: Path) -> Path:
    """Where a split lives below the data dir: scigen/test/<split>.json or
    scigen/<size>/<split>.json."""
    folder = "test" if split.startswith("test-") else size
    return data_dir / "scigen" / folder / f"{split}.json"


def _records_for(split: str, data_dir: Path | None, size: str) -> list[dict[str, Any]]:
    local = local_path(split, size, data_dir) if data_dir is not None else None
    if local is not None and local.is_file():
        return read_scigen_file(local, split)
    if split.startswith("test-") or size == "few-shot":
        raise DataUnavailable(
            f"SciGen {split}: file not found at {local} (data dir {data_dir}); it comes from "
            f"{UPSTREAM} 'dataset/' (see ../shared/data/README.md)"
        )
    if size != "medium":
        raise _unavailable(split, size, f"no local file at {local}")
    reason = hub_unavailable()
    if reason:
        raise _unavailable(
            split,
            size,
            f"no local file at {local}, and the hub copy {HUB_ID} cannot be used: {reason}",
        )
    try:
        return read_hub_split(split)
    except Exception as err:  # the hub raises many types (connection, offline mode, missing split)
        raise _unavailable(
            split, size, f"no local file at {local} and the hub load failed: {err}"
        ) from err


def load_scigen(
    split: str, data_dir: str | Path | None = None, size: str = "few-shot"
) -> datasets.Dataset:
    """SciGen records for `split` in train | dev | test-CL | test-Other | test (= test-CL then
    test-Other).

    `size` (few-shot | medium | large) applies to train/dev; the test files are the same for every
    size.
    """
    if split not in SPLITS:
        raise ValueError(f"unknown SciGen split '{split}'; choose from {SPLITS}")
    if size not in SIZES:
        raise ValueError(f"unknown SciGen size '{size}'; choose from {SIZES}")
    root = resolve_data_dir(data_dir)
    parts = ["test-CL", "test-Other"] if split == "test" else [split]
    records = [record for part in parts for record in _records_for(part, root, size)]
    return datasets.Dataset.from_list(records)
