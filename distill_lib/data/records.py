"""The shared record that flows through every stage, and where the data lives.

Every loader returns a `datasets.Dataset` whose rows carry at least RECORD_COLUMNS:
  id        stable identifier within its split
  input     the text the student sees (SciGen: the linearized table)
  label     gold answer / label / description, as text
  rationale teacher reasoning ('' when absent)
  llm_label the teacher's own answer ('' when absent)
  format    cot | pot | eot | text | label
  source    gold | palm | gpt-3.5-turbo | ... (who wrote `rationale`)
Paper-specific fields (choices, numeric answers, tables) travel as extra columns.

`limit_splits` also refuses a split without rows (a ConfigError naming the dataset, the split and
the data dir); the readers name the file itself where they can (an empty JSON Lines file, a bad
row).

Deliberately left out: reading any particular file format (see the per-dataset loaders).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from distill_lib.config import PROJECT_ROOT
from distill_lib.config_sections import DataConfig
from distill_lib.config_values import ConfigError

if TYPE_CHECKING:
    from datasets import DatasetDict

RECORD_COLUMNS = ("id", "input", "label", "rationale", "llm_label", "format", "source")


class DataFormatError(ConfigError):
    """A data file whose row lacks a field or holds a bad value: bad input, named by file (or
    dataset and split) and row, said in one line by the command line."""


class DataUnavailable(FileNotFoundError):
    """A split or file is missing; the message names what and where it looked."""


class StageMissing(DataUnavailable):
    """A stage that every cell of a grid reads (a teacher stage) has not run: a grid stops at its
    first cell with the command that runs the stage, rather than skipping each cell in turn."""


def resolve_data_dir(data_dir: str | Path | None) -> Path | None:
    """The configured data dir, else `../shared/data` beside the project when it exists, else None
    (hub)."""
    if data_dir:
        path = Path(data_dir)
        path = path if path.is_absolute() else PROJECT_ROOT / path
        if not path.is_dir():
            raise DataUnavailable(f"data_dir {path} does not exist")
        return path
    default = PROJECT_ROOT.parent / "shared" / "data"
    return default if default.is_dir() else None


def make_record(id: str, input: str, label: str, **extra: Any) -> dict[str, Any]:
    """A record dict with every shared column present (empty strings for what is absent)."""
    record = {
        "id": str(id),
        "input": input,
        "label": label,
        "rationale": "",
        "llm_label": "",
        "format": "label",
        "source": "gold",
    }
    record.update(extra)
    return record


def limit_splits(splits: DatasetDict, cfg: DataConfig) -> DatasetDict:
    """The first N rows of each split as configured; the train cap scales with `train_fraction` so
    that a data-efficiency curve keeps its shape. A split without rows is a ConfigError."""
    for name, split in splits.items():
        if len(split) == 0:
            root = resolve_data_dir(cfg.data_dir)
            raise ConfigError(
                f"data.dataset = {cfg.dataset!r}: the {name} split has no rows"
                + (f" (data dir {root})" if root else "")
            )
    train_limit = cfg.train_limit
    if train_limit and cfg.train_fraction < 1.0:
        train_limit = max(1, round(train_limit * cfg.train_fraction))
    limits = {"train": train_limit, "valid": cfg.valid_limit, "test": cfg.test_limit}
    return type(splits)(
        {
            name: split.select(range(min(limits[name], len(split))))
            if limits.get(name) is not None
            else split
            for name, split in splits.items()
        }
    )
