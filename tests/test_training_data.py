"""Rows with an empty target are never trained on: dropped and counted, or refused when most are
empty (a live teacher run that mostly failed)."""

from __future__ import annotations

import pytest
from datasets import Dataset

from distill_lib.config import load_config
from distill_lib.config_sections import MethodConfig
from distill_lib.papers.index import build_method
from distill_lib.runs import teacher_dir
from distill_lib.train.features import TrainingDataError, usable_rows


def record(i: int, rationale: str) -> dict:
    return {
        "id": str(i),
        "input": f"q{i}",
        "input_b": "",
        "label": "a",
        "llm_label": "a",
        "rationale": rationale,
    }


def test_a_few_empty_rationales_are_dropped_and_counted():
    dss = build_method(MethodConfig(name="dss"))
    rows, dropped = usable_rows(
        dss, [record(0, "because"), record(1, ""), record(2, "so"), record(3, " ")]
    )
    # the label row of 1 and 3 stays
    assert dropped == {1: 2} and [len(r) for r in rows] == [2, 1, 2, 1]
    assert all(row.target.strip() for r in rows for row in r)


def test_mostly_empty_targets_are_refused():
    dss = build_method(MethodConfig(name="dss"))
    with pytest.raises(
        TrainingDataError, match=r"3 of 4 training rows of task 1 have an empty target"
    ):
        usable_rows(dss, [record(0, "because"), record(1, ""), record(2, ""), record(3, "")])


def test_a_mostly_failed_live_teacher_stops_training(tmp_path, monkeypatch, data_dir):
    """17 of 20 live requests failed: their records have no rationale; the cell refuses to train on
    them."""
    monkeypatch.setenv("DISTILL_RUN_ROOT", str(tmp_path))
    cfg = load_config(
        "configs/dss.yaml",
        "smoke",
        {
            "data.dataset": "cqa",
            "method.name": "dss",
            "teacher.source": "live",
            "data.train_limit": 20,
            "data.valid_limit": 4,
            "data.test_limit": 4,
        },
    )
    from distill_lib.papers.index import load_splits

    released = load_splits(cfg.replace({"teacher.source": "released"}))["train"]
    answered = [
        {
            "id": r["id"],
            "rationale": r["rationale"],
            "llm_label": r["llm_label"],
            "source": "teacher",
        }
        for r in list(released)[:3]
    ]
    Dataset.from_list(answered).save_to_disk(str(teacher_dir(cfg, "cqa", "train")))
    from distill_lib.experiment import run_cell

    with pytest.raises(TrainingDataError, match=r"of task 1 have an empty target"):
        run_cell(cfg)


def test_a_mostly_failed_live_stage_reports_its_counts_and_training_refuses(
    tmp_path, monkeypatch, data_dir
):
    """The live rationale stage against a server that refuses 17 of 20 prompts: its report and
    metrics.json count the failed requests and the usable records, and the cell then refuses to
    train on the 17 records without a rationale."""
    import json
    import re
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from fault_server import FaultServer

    from distill_lib.experiment import run_cell
    from distill_lib.papers.index import paper_for
    from distill_lib.papers.rationales import run_rationale_stage

    monkeypatch.setenv("DISTILL_RUN_ROOT", str(tmp_path / "runs"))
    answered: set[str] = set()

    def plan(prompt: str, attempt: int) -> str:  # the first 3 distinct questions get an answer
        if prompt not in answered and len(answered) < 3:
            answered.add(prompt)
        return "ok" if prompt in answered else "400"

    with FaultServer(
        plan=plan, reply=lambda p: " Because it is so. So the answer is (a) yes."
    ) as srv:
        cfg = load_config(
            "configs/dss.yaml",
            "smoke",
            {
                "data.dataset": "cqa",
                "method.name": "dss",
                "teacher.source": "live",
                "teacher.base_url": srv.base_url,
                "teacher.model": "m",
                "teacher.cache_dir": str(tmp_path / "cache"),
                "teacher.limit": 20,
                "data.train_limit": 20,
                "data.valid_limit": 4,
                "data.test_limit": 4,
            },
        )
        stage_dir = tmp_path / "stage"
        report = run_rationale_stage(cfg, stage_dir, paper_for(cfg), ["cqa"], log=lambda *_: None)
    cqa = report["cqa"]
    assert cqa["mode"] == "live" and cqa["examples"] == 20
    assert cqa["failed"] == 17 and cqa["usable"] == 3, cqa
    written = json.loads((stage_dir / "metrics.json").read_text())["cqa"]
    assert (written["failed"], written["usable"]) == (17, 3)
    with pytest.raises(TrainingDataError, match=re.escape("of task 1 have an empty target")):
        run_cell(cfg)
