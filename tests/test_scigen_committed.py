"""What `make figures` shows of SciGen from the committed tree: each row's test METEOR from notebook
12's report (committed as a small stage record, values per cell key), and generations beside the
first test tables from the records' stored predictions."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from distill_lib.config import load_config
from distill_lib.papers.scigen import report
from distill_lib.papers.scigen.results import METEOR, student_rows
from distill_lib.results import read_stage_results, write_stage_result
from distill_lib.runs import cell_dir, cell_key, grid_cells


@pytest.fixture
def cfg(tmp_path, monkeypatch):
    monkeypatch.setenv("DISTILL_RUN_ROOT", str(tmp_path / "runs"))
    monkeypatch.setenv("DISTILL_RESULTS_ROOT", str(tmp_path / "results"))
    return load_config("configs/scigen.yaml", "cpu", {"data.test_limit": 2})


def test_the_report_is_committed_per_cell_key(cfg, data_dir):
    records = list(report.test_records(cfg, "scigen").values())
    scored = grid_cells(cfg)[:2]  # the untrained row and plain seed 0
    for cell in scored:
        folder = cell_dir(cell)
        folder.mkdir(parents=True)
        rows = [
            {"id": r["id"], "format": "label", "prediction": r["label"], "label": r["label"]}
            for r in records
        ]
        (folder / "predictions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    report.write_report(cfg, report.evaluate_scigen(cfg, {"metrics": ["bleu"]}))
    committed = read_stage_results("scigen", "cpu")["test-metrics"]
    assert [c["key"] for c in committed["cells"]] == [cell_key(c) for c in scored]
    assert [c["raw"]["bleu"] for c in committed["cells"]] == [pytest.approx(100.0)] * 2
    assert committed["commit"] and committed["config"]["profile"] == "cpu"
    assert "prediction" not in json.dumps(committed)  # values only, no texts


def test_the_table_takes_meteor_from_the_record_and_says_what_it_lacks(cfg):
    keys = ["u", "p0", "p1", "p2"]
    frame = pd.DataFrame(
        {
            "method": ["untrained", "scigen_plain", "scigen_plain", "scigen_plain"],
            "test_at_best": [1.0, 3.0, 3.2, 2.8],
            "n_test": [150] * 4,
            "key": keys,
        }
    )
    assert {r[METEOR] for r in student_rows(frame, cfg).values()} == {"n/a"}
    cells = [{"key": k, "raw": {"meteor": v}} for k, v in (("u", 0.05), ("p0", 0.09), ("p1", 0.11))]
    write_stage_result(cfg, "test-metrics", {"cells": cells})
    untrained, plain = student_rows(frame, cfg).values()
    assert untrained[METEOR] == "0.050"
    assert plain[METEOR] == "0.100 ± 0.014 (2 of 3 cells)"


def fake_record(method: str, seed: int, ids: list[str], predictions) -> dict:
    kept = {"label": predictions} if isinstance(predictions, list) else predictions
    return {
        "metrics": {"method": method, "seed": seed, "untrained": False},
        "test_examples": {"ids": ids, "predictions": kept},
    }


def test_generations_come_from_the_lowest_seed_that_kept_them(cfg, data_dir):
    from distill_lib.papers.scigen.examples import committed_examples
    from distill_lib.papers.scigen.labels import FREE_TEXT

    first = list(report.test_records(cfg, "scigen"))[:2]
    records = [
        fake_record("scigen_plain", 0, first, "not kept: over 100000 bytes"),
        fake_record("scigen_plain", 1, first, ["plain one", "plain two"]),
        fake_record("scigen_plain", 2, first, ["plain three", "plain four"]),
        fake_record(
            "scigen_reasoning_output", 0, first, ["Reasoning: r. Description: described", "x"]
        ),
    ]
    page = committed_examples(cfg, records, n=1)
    lines = [line for line in page.splitlines() if line.startswith("- ")]
    assert lines[0].startswith("- gold: ")
    assert lines[1] == "- traditional fine-tuning (table -> description), seed 1: plain one"
    assert lines[2].endswith("seed 0: described") and FREE_TEXT in lines[2]
    assert page.startswith(f"**{first[0]}**: Table") and "| " in page  # the table's first rows
