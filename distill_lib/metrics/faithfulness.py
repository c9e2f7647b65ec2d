"""Table faithfulness of generated statements: TAPAS-Acc and TAPEX-Acc (TabFact entailment
classifiers).

Each prediction is one query against its own table; the score is the share classified "entailed"
(label 1), as in PLOG's / DistillTableCoT's eval_contlog_with_{tapas,tapex}.py, with the reference's
defects fixed:
  - tables are built from the cleaned table object (`Table.clean()`: no `[BOLD]`/`[ITALIC]`,
    `[EMPTY]` -> '') with de-duplicated headers, so duplicate column names never collapse;
  - every item is scored against its own table (no reuse of the previous table when a build fails).
`tapex_acc(paper_compat=True)` reproduces DistillTableCoT's TAPEX table instead: one row whose cells
are `str(list_of_raw_column_values)`, duplicate headers merged.

TAPEX: transformers 5.x no longer ships `TapexTokenizer`. `tapex_text` ports the part of it the
reference uses (`prepare_table_query`: cells cut to 15 BPE tokens, "col : h1 | h2 row 1 : v | v ..."
after the statement, then lower-casing); the BPE itself is the same byte-level BPE, loaded as
`BartTokenizer` from the checkpoint's vocab.json/merges.txt with `add_prefix_space=True` (as the
reference), truncated to 1,024 tokens.

Deliberately left out: fine-tuning the classifiers, PLOG's removal of a trailing total row, and
TapexTokenizer's drop-rows-to-fit truncation (the reference truncates tokens).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from distill_lib.data.table import Table
from distill_lib.metrics.text import MetricResult, model_missing_reason

TAPAS_MODEL = "google/tapas-large-finetuned-tabfact"
TAPEX_MODEL = "microsoft/tapex-large-finetuned-tabfact"
ENTAILED = 1  # TabFact labels: 0 refuted, 1 entailed
TAPEX_MAX_CELL_TOKENS = 15
TAPEX_MAX_LENGTH = 1024


def check_tables(preds: list[str], tables: list[Table]) -> None:
    if len(preds) != len(tables):
        raise ValueError(
            f"{len(preds)} predictions but {len(tables)} tables: pair each statement with its table"
        )
    if not preds:
        raise ValueError("no predictions to score")
    for i, table in enumerate(tables):
        if not isinstance(table, Table):
            raise TypeError(
                f"tables[{i}] is a {type(table).__name__}, expected distill_lib.data.table.Table"
            )


def tapex_frame(table: Table, paper_compat: bool = False) -> pd.DataFrame:
    """The table TAPEX sees: cleaned with unique headers, or DistillTableCoT's one-row hack
    (`paper_compat`)."""
    if not paper_compat:
        return table.clean().to_frame()
    columns: dict[str, list[str]] = {}
    for j, name in enumerate(table.header):
        columns.setdefault(name, []).extend(row[j] for row in table.rows)
    return pd.DataFrame({name: pd.Series(str(values)) for name, values in columns.items()})


def tapex_text(
    tokenizer: Any,
    statement: str,
    frame: pd.DataFrame,
    max_cell_tokens: int = TAPEX_MAX_CELL_TOKENS,
) -> str:
    """TapexTokenizer's model input: statement + 'col : h1 | h2 row 1 : v11 | v12 ...',
    lower-cased.
    """

    def cut(cell: str) -> str:
        tokens = tokenizer.tokenize(cell) if cell.strip() else []
        return (
            tokenizer.convert_tokens_to_string(tokens[:max_cell_tokens])
            if len(tokens) >= max_cell_tokens
            else cell
        )

    linear = ""
    if not frame.empty:
        rows = [" | ".join(cut(str(cell)) for cell in row) for row in frame.itertuples(index=False)]
        parts = ["col : " + " | ".join(map(str, frame.columns))]
        parts += [f"row {i} : {row}" for i, row in enumerate(rows, start=1)]
        linear = " ".join(parts).strip()
    joined = f"{statement} {linear}" if statement and linear else (statement or linear)
    return joined.lower()


def entailed_probabilities(
    model: torch.nn.Module, encoded: list[dict[str, torch.Tensor]], batch_size: int
) -> list[float]:
    """P(entailed) for each pre-encoded item; items of a batch are padded to the batch's longest."""
    device = next(model.parameters()).device
    model.eval()
    probabilities: list[float] = []
    for start in range(0, len(encoded), batch_size):
        batch = encoded[start : start + batch_size]
        pad_id = model.config.pad_token_id or 0
        inputs = {
            key: _pad_stack([item[key] for item in batch], pad_id if key == "input_ids" else 0).to(
                device
            )
            for key in batch[0]
        }
        with torch.no_grad():
            logits = model(**inputs).logits
        probabilities += logits.float().softmax(-1)[:, ENTAILED].tolist()
    return probabilities


def _pad_stack(tensors: list[torch.Tensor], value: int) -> torch.Tensor:
    """Right-pad tensors of shape (length, ...) with `value` to the longest and stack them."""
    longest = max(t.shape[0] for t in tensors)
    return torch.stack(
        [torch.cat([t, t.new_full((longest - t.shape[0], *t.shape[1:]), value)]) for t in tensors]
    )


def accuracy_result(name: str, probabilities: list[float], details: dict[str, Any]) -> MetricResult:
    entailed = sum(p > 0.5 for p in probabilities)  # argmax over two classes
    return MetricResult(
        name,
        entailed / len(probabilities),
        details={
            "n": len(probabilities),
            "n_entailed": entailed,
            "mean_p_entailed": sum(probabilities) / len(probabilities),
            **details,
        },
    )


def _score(
    name: str,
    model: str | Path,
    load: Callable[[str], tuple[Any, Any]],
    encode: Callable[[Any, str, Table], dict[str, torch.Tensor]],
    preds: list[str],
    tables: list[Table],
    batch_size: int,
    device: str | None,
    details: dict[str, Any],
) -> MetricResult:
    check_tables(preds, tables)
    reason = model_missing_reason(model)
    if reason:
        return MetricResult(name, None, f"{name} not computed: {reason}")
    try:
        classifier, tokenizer = load(str(model))
    except OSError as err:  # hub unreachable, weights or tokenizer files missing
        return MetricResult(name, None, f"{name} not computed: could not load '{model}': {err}")
    classifier.to(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    encoded = [
        encode(tokenizer, statement, table) for statement, table in zip(preds, tables, strict=True)
    ]
    probabilities = entailed_probabilities(classifier, encoded, batch_size)
    return accuracy_result(name, probabilities, {"model": str(model), **details})


def load_tapas(model: str) -> tuple[Any, Any]:
    from transformers import TapasForSequenceClassification, TapasTokenizer

    return TapasForSequenceClassification.from_pretrained(model), TapasTokenizer.from_pretrained(
        model
    )


def encode_tapas(tokenizer: Any, statement: str, table: Table) -> dict[str, torch.Tensor]:
    encoded = tokenizer(
        table=table.clean().to_frame(),
        queries=statement,
        truncation=True,
        padding="max_length",
        return_tensors="pt",
    )
    return {key: encoded[key][0] for key in ("input_ids", "attention_mask", "token_type_ids")}


def tapas_acc(
    preds: list[str],
    tables: list[Table],
    model: str | Path = TAPAS_MODEL,
    batch_size: int = 8,
    device: str | None = None,
) -> MetricResult:
    """Share of statements TAPAS (TabFact) classifies as entailed by their cleaned table."""
    return _score(
        "tapas_acc", model, load_tapas, encode_tapas, preds, tables, batch_size, device, {}
    )


def load_tapex(model: str) -> tuple[Any, Any]:
    """BartForSequenceClassification plus the checkpoint's byte-level BPE (vocab.json,
    merges.txt).
    """
    from huggingface_hub import hf_hub_download
    from transformers import BartForSequenceClassification, BartTokenizer

    local = Path(model)
    files = [
        local / name if local.is_dir() else Path(hf_hub_download(model, name))
        for name in ("vocab.json", "merges.txt")
    ]
    tokenizer = BartTokenizer(vocab=str(files[0]), merges=str(files[1]), add_prefix_space=True)
    return BartForSequenceClassification.from_pretrained(model), tokenizer


def tapex_acc(
    preds: list[str],
    tables: list[Table],
    model: str | Path = TAPEX_MODEL,
    batch_size: int = 8,
    device: str | None = None,
    paper_compat: bool = False,
) -> MetricResult:
    """Share of statements TAPEX (TabFact) classifies as entailed; `paper_compat` uses the
    reference's table."""

    def encode(tokenizer: Any, statement: str, table: Table) -> dict[str, torch.Tensor]:
        text = tapex_text(tokenizer, statement, tapex_frame(table, paper_compat))
        encoded = tokenizer(text, truncation=True, max_length=TAPEX_MAX_LENGTH, return_tensors="pt")
        return {key: encoded[key][0] for key in ("input_ids", "attention_mask")}

    name = "tapex_acc_paper_compat" if paper_compat else "tapex_acc"
    return _score(
        name,
        model,
        load_tapex,
        encode,
        preds,
        tables,
        batch_size,
        device,
        {"paper_compat": paper_compat},
    )
