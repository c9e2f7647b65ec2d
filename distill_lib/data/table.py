"""A table with its caption, as table-aware metrics and table datasets share it.

`Table(caption, header, rows)`: `clean()` applies SciGen's cell rules (drop `[BOLD]`/`[ITALIC]`,
`[EMPTY]` -> ''), `dedup_headers()` makes column names unique (`Acc`, `Acc_2`; empty -> `col_{j}`, j
counted from 1), `to_frame()` gives the all-string DataFrame TAPAS/TAPEX expect; `to_dict` /
`from_dict` round-trip it through JSON.

Deliberately left out: reading any dataset's files (the paper packages do) and linearization for
models.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

_WHITESPACE = re.compile(r"\s+")


def clean_cell(cell: str) -> str:
    """A cell for TAPAS/TAPEX: `[BOLD]`/`[ITALIC]` tags dropped (text kept), `[EMPTY]` -> '', spaces
    collapsed."""
    for tag in ("[BOLD]", "[ITALIC]", "[EMPTY]"):
        cell = cell.replace(tag, " ")
    return _WHITESPACE.sub(" ", cell).strip()


@dataclass
class Table:
    caption: str
    header: list[str]
    rows: list[list[str]]

    def clean(self) -> Table:
        """The same table with `clean_cell` applied to every header and body cell (caption
        untouched)."""
        return Table(
            self.caption,
            [clean_cell(h) for h in self.header],
            [[clean_cell(c) for c in row] for row in self.rows],
        )

    def dedup_headers(self) -> list[str]:
        """Unique column names: repeats get `_2`, `_3`, ...; empty names become `col_{j}` (j from
        1)."""
        unique: list[str] = []
        for j, name in enumerate(self.header, start=1):
            base = name.strip() or f"col_{j}"
            candidate, suffix = base, 2
            while candidate in unique:
                candidate, suffix = f"{base}_{suffix}", suffix + 1
            unique.append(candidate)
        return unique

    def to_frame(self) -> pd.DataFrame:
        """An all-string DataFrame with unique column names (call `clean()` first for the
        TAPAS/TAPEX view)."""
        return pd.DataFrame(self.rows, columns=self.dedup_headers(), dtype=str)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Table:
        return cls(
            caption=data["caption"],
            header=list(data["header"]),
            rows=[list(r) for r in data["rows"]],
        )
