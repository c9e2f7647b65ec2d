"""The rationale stage of the papers whose teacher writes one rationale per example (DSS, SciGen),
per dataset.

`run_rationale_stage(cfg, stage_dir, paper, datasets, preview)`:
- `teacher.source: released`: reports the released rationales the training stage will use (count,
  empty ones). With `preview` datasets it also sends `teacher.limit` training examples of each to
  the configured teacher (the embedded SmolLM2 when no key is set) to show the live path; training
  ignores them.
- `teacher.source: live`: sends the training split (up to `teacher.limit`) to the teacher and saves
  the parsed records where the paper's loader reads them (runs.teacher_dir(cfg, dataset, "train")).
The template per dataset comes from the paper (`Paper.templates`, or `teacher.template`); a record
that is one of the template's worked examples (by id) is not sent. Each dataset's report counts the
examples, the failed requests, the parse failures and the usable records (a rationale and a teacher
label); training drops rows with an empty target and refuses when most are empty
(distill_lib.train.features). A dataset that cannot be loaded here is reported as skipped, with the
reason.

Deliberately left out: the client, cache and endpoint logic (distill_lib.teacher.generate / server);
the math teacher stage, which verifies thoughts per format (papers.math.stage).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from distill_lib.config import ExperimentConfig
from distill_lib.data.records import DataUnavailable, limit_splits
from distill_lib.papers.base import Paper
from distill_lib.prompts import get_template
from distill_lib.runs import teacher_dir, write_json
from distill_lib.teacher.generate import generate

SUMMARY_KEYS = (
    "examples",
    "done",
    "cached",
    "failed",
    "parse_failures",
    "requests_made",
    "wall_s",
    "skipped_long_prompts",
)


def _train_records(cfg: ExperimentConfig, paper: Paper, dataset: str) -> list[dict[str, Any]]:
    released = cfg.replace({"data.dataset": dataset, "teacher.source": "released"})
    return list(limit_splits(paper.load_splits(released), released.data)["train"])


def _ask_teacher(
    cfg: ExperimentConfig, paper: Paper, dataset: str, records: list[dict], out: Path
) -> dict[str, Any]:
    template = cfg.teacher.template or paper.templates.get(dataset, "")
    if not template:
        raise DataUnavailable(f"no default teacher template for '{dataset}': set teacher.template")
    shown = {str(e["id"]) for e in get_template(template).exemplars if "id" in e}
    # never ask about a worked example's own input
    examples = [r for r in records if str(r["id"]) not in shown]
    teacher = dataclasses.replace(cfg.teacher, template=template)
    report = generate(teacher, examples, out, profile=cfg.profile)
    summary = {k: report.summary.get(k) for k in SUMMARY_KEYS}
    return {**summary, "cost_usd": report.summary.get("cost", {}).get("usd"), "report": report}


def _stage_one(
    cfg: ExperimentConfig, paper: Paper, dataset: str, stage_dir: Path, preview: bool
) -> dict[str, Any]:
    records = _train_records(cfg, paper, dataset)
    if cfg.teacher.source == "live" or preview:
        result = _ask_teacher(cfg, paper, dataset, records, stage_dir / dataset)
        report = result.pop("report")
        if cfg.teacher.source == "live":
            report.to_dataset().save_to_disk(str(teacher_dir(cfg, dataset, "train")))
        answered = report.records()
        examples = [
            (r["id"], r.get("rationale", "")[:160], r.get("llm_label", "")) for r in answered[:3]
        ]
        return {
            "mode": "live" if cfg.teacher.source == "live" else "preview",
            **result,
            "usable": sum(_usable(r) for r in answered),
            "shown": examples,
        }
    empty = sum(not r["rationale"].strip() for r in records)
    return {
        "mode": "released",
        "examples": len(records),
        "parse_failed": empty,
        "usable": sum(_usable(r) for r in records),
        "shown": [(r["id"], r["rationale"][:160], r["llm_label"]) for r in records[:3]],
    }


def _usable(record: dict[str, Any]) -> bool:
    """A record a rationale method can learn from: it has a rationale and a teacher label."""
    return bool(
        str(record.get("rationale", "")).strip() and str(record.get("llm_label", "")).strip()
    )


def run_rationale_stage(
    cfg: ExperimentConfig,
    stage_dir: Path,
    paper: Paper,
    datasets: list[str],
    preview: list[str] | tuple[str, ...] = (),
    log: Any = print,
) -> dict[str, dict[str, Any]]:
    """Per dataset: what the training stage will learn from, and (live/preview) what the teacher
    said."""
    reports: dict[str, dict[str, Any]] = {}
    for dataset in dict.fromkeys([*datasets, *preview]):
        try:
            reports[dataset] = _stage_one(cfg, paper, dataset, stage_dir, dataset in preview)
        except DataUnavailable as err:
            reports[dataset] = {"mode": "skipped", "reason": str(err)}
            log(f"{dataset}: SKIPPED, {err}")
            continue
        log(
            f"{dataset}: {reports[dataset]['mode']}, "
            + ", ".join(
                f"{k}={v}" for k, v in reports[dataset].items() if k not in ("mode", "shown")
            )
        )
        for example_id, rationale, label in reports[dataset]["shown"]:
            log(f"   [{example_id}] {rationale!r} -> {label!r}")
    write_json(
        stage_dir / "metrics.json",
        {
            name: {k: v for k, v in report.items() if k != "shown"}
            for name, report in reports.items()
        },
    )
    return reports
