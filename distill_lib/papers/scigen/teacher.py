"""The SciGen teacher on the test tables: what the teacher row of the results table is scored on.

`teacher_on_test(cfg, dataset)` sends the test tables the students are scored on (the first
`data.test_limit`, at most `extra.teacher_test_limit`, else `teacher.limit`) to the configured
teacher with the same one-shot template and saves the raw outputs under
`runs/.../teacher/<dataset>/test/`. `teacher_predictions(cfg, dataset)` is the teacher row's text
per table, as `extra.teacher_row` says: `statements` (`teacher_statements`: each table's
statements, the verified ones with `method.options.filter_verified`, joined) or `description`
(`teacher_descriptions`: the description the teacher writes before its triples); the report scores
it with the same metrics as the students. The students never see these outputs
(scigen_reasoning_input reads the plain table at test time, a documented deviation).

Deliberately left out: the training tables (papers.rationales) and the scoring itself
(papers.scigen.report).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from distill_lib.config import ExperimentConfig
from distill_lib.data.records import limit_splits
from distill_lib.papers.rationales import SUMMARY_KEYS
from distill_lib.papers.scigen.splits import aggregate_triples, load_scigen_splits
from distill_lib.runs import read_jsonl, teacher_dir
from distill_lib.teacher.generate import generate


def test_tables(cfg: ExperimentConfig, dataset: str) -> list[dict[str, Any]]:
    released = cfg.replace({"data.dataset": dataset, "teacher.source": "released"})
    return list(limit_splits(load_scigen_splits(released), released.data)["test"])


def teacher_on_test(cfg: ExperimentConfig, dataset: str) -> dict[str, Any]:
    """Ask the teacher about the test tables; a summary of the run (counts, parse failures,
    cost).
    """
    limit = cfg.extra.teacher_test_limit or cfg.teacher.limit
    template = cfg.teacher.template or "scigen_reasoning"
    teacher = dataclasses.replace(cfg.teacher, template=template, limit=limit)
    report = generate(
        teacher, test_tables(cfg, dataset), teacher_dir(cfg, dataset, "test"), profile=cfg.profile
    )
    return {"mode": "teacher on test", **{k: report.summary.get(k) for k in SUMMARY_KEYS}}


def _test_rows(cfg: ExperimentConfig, dataset: str) -> list[dict[str, Any]] | None:
    path = teacher_dir(cfg, dataset, "test") / "teacher_outputs.jsonl"
    return read_jsonl(path) if path.exists() else None


def teacher_predictions(cfg: ExperimentConfig, dataset: str) -> dict[str, str] | None:
    """The teacher row's text per test table (extra.teacher_row); None before the teacher ran on
    test."""
    if cfg.extra.teacher_row == "description":
        return teacher_descriptions(cfg, dataset)
    return teacher_statements(cfg, dataset)


def teacher_descriptions(cfg: ExperimentConfig, dataset: str) -> dict[str, str] | None:
    """Per test table the teacher was asked about: the description of its first answer ('' when
    it wrote none); None when the teacher has not been run on test."""
    rows = _test_rows(cfg, dataset)
    if rows is None:
        return None
    return {
        row["id"]: next((p["fields"].get("description", "") for p in row["parsed"]), "")
        for row in rows
    }


def teacher_statements(cfg: ExperimentConfig, dataset: str) -> dict[str, str] | None:
    """Per test table the teacher was asked about: its statements joined ('' when none parsed);
    None when the teacher has not been run on test."""
    rows = _test_rows(cfg, dataset)
    if rows is None:
        return None
    triples = [
        {
            "id": row["id"],
            "rationale": t["reasoning"],
            "llm_label": t["statement"],
            "parse_ok": t["verified"],
        }
        for row in rows
        for p in row["parsed"]
        for t in p["fields"].get("triples", [])
    ]
    joined = aggregate_triples(
        triples, {row["id"] for row in rows}, cfg.method.options.filter_verified
    )
    return {row["id"]: joined.get(row["id"], {}).get("llm_label", "") for row in rows}
