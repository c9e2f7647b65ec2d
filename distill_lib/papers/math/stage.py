"""The math teacher stage (EoTD / ETD): verified teacher thoughts per training pool, built once and
saved.

`build_teacher_data(cfg)` takes the pool's thoughts, from the released files (offline) or from a
live teacher (`teacher.source: live`: k = `teacher.n` samples per question and format at
`teacher.temperature`, templates math_cot / math_pot / math_eot), keeps those whose verified answer
equals gold (`keep_verified`), derives equation systems from straight-line programs offline
(`program_to_equations`, a documented deviation), and saves the records and per-format yields under
`runs/.../teacher/math/<pool>/`, where training reads them (papers.math.splits).
`run_teacher_stage(cfg, stage_dir)` does it for every pool of the grid (notebook 06, or `python -m
distill_lib.cli teacher`). `preview_live_teacher` shows the live path on a few questions.

Deliberately left out: the student's inputs (papers.math.methods) and the test benchmarks
(papers.math.splits).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pandas as pd
from datasets import Dataset

from distill_lib.config import ExperimentConfig
from distill_lib.papers.math.contamination import decontaminate
from distill_lib.papers.math.data import load_gsm8k
from distill_lib.papers.math.programs import clean_program, program_to_equations
from distill_lib.papers.math.splits import (
    COLUMNS,
    FORMATS,
    NOTES,
    eval_datasets,
    pool,
    saved_teacher_data,
    teacher_data_dir,
    teacher_settings,
)
from distill_lib.papers.math.teacher_data import (
    keep_verified,
    load_gsm8k_train_programs,
    load_reft_svamp,
)
from distill_lib.results import write_stage_result
from distill_lib.runs import teacher_dir, write_json
from distill_lib.teacher.generate import generate


def _first_questions(raw: dict[str, Dataset], limit: int | None) -> dict[str, Dataset]:
    """Every format's rows of the first `limit` distinct question ids (pool order, over all
    formats)."""
    if not limit:
        return raw
    ids = dict.fromkeys(qid for ds in raw.values() for qid in ds["question_id"])
    keep = set(list(ids)[:limit])
    return {
        fmt: ds.filter(lambda qid: qid in keep, input_columns="question_id")
        for fmt, ds in raw.items()
    }


def _without(raw: dict[str, Dataset], removed: set[str]) -> dict[str, Dataset]:
    if not removed:
        return raw
    return {
        fmt: ds.filter(lambda text: text not in removed, input_columns="input")
        for fmt, ds in raw.items()
    }


def released_outputs(cfg: ExperimentConfig) -> tuple[dict[str, Dataset], dict[str, Any]]:
    """Unfiltered released thoughts per format for the pool (programs cleaned), benchmark questions
    removed, limited to the first teacher.limit questions; and the contamination report."""
    data_dir = cfg.data.data_dir
    if pool(cfg) == "math-reft":
        raw = {"cot": load_reft_svamp("cot", data_dir), "pot": load_reft_svamp("pot", data_dir)}
    else:
        raw = {"pot": load_gsm8k_train_programs(data_dir, clean=True)}
    removed, report = decontaminate(
        [q for ds in raw.values() for q in ds["input"]], eval_datasets(cfg), data_dir
    )
    raw = _first_questions(
        {
            fmt: ds.add_column("question_id", list(ds["id"]))
            for fmt, ds in _without(raw, removed).items()
        },
        cfg.teacher.limit,
    )
    # ReFT programs: `def solution(): ... return result` -> straight line ending in ans
    if cfg.data.dataset == "math-reft":
        raw["pot"] = raw["pot"].map(lambda r: {"rationale": clean_program(r["rationale"])})
    return raw, report


def pool_questions(cfg: ExperimentConfig) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The pool's questions as teacher examples (id, input, label, answer, question_id), benchmark
    questions removed, up to teacher.limit; and the contamination report."""
    if pool(cfg) == "math-gsm8k":
        questions = load_gsm8k("train", cfg.data.data_dir)
    else:
        questions = load_reft_svamp("cot", cfg.data.data_dir)
    removed, report = decontaminate(list(questions["input"]), eval_datasets(cfg), cfg.data.data_dir)
    rows = [r for r in questions if r["input"] not in removed][: cfg.teacher.limit or None]
    return [
        {
            "id": r["id"],
            "input": r["input"],
            "label": r["label"],
            "answer": r["answer"],
            "question_id": r["id"],
        }
        for r in rows
    ], report


def live_outputs(cfg: ExperimentConfig, out_dir: Path) -> tuple[dict[str, Dataset], dict[str, Any]]:
    """Ask the configured teacher for every format (k = teacher.n samples each) about the
    decontaminated pool; raw responses under out_dir; and the contamination report."""
    examples, report = pool_questions(cfg)
    outputs = {}
    for fmt in tuple(cfg.data.options.formats):
        teacher = dataclasses.replace(cfg.teacher, template=f"math_{fmt}")
        outputs[fmt] = Dataset.from_list(
            generate(teacher, examples, out_dir / fmt, profile=cfg.profile).records()
        )
    return outputs, report


def derive_equations(programs: Dataset) -> tuple[Dataset, int]:
    """EoT records from (clean) PoT programs via program_to_equations; also how many could not be
    converted."""
    systems = [program_to_equations(p) for p in programs["rationale"]]
    keep = [i for i, s in enumerate(systems) if s is not None]
    rows = programs.select(keep)
    rows = rows.remove_columns(["rationale", "format"]).add_column(
        "rationale", [systems[i] for i in keep]
    )
    return rows.add_column("format", ["eot"] * len(keep)), len(systems) - len(keep)


def verify_formats(
    raw: dict[str, Dataset], formats: tuple[str, ...], derive_eot: bool
) -> tuple[list[Dataset], dict[str, dict[str, Any]]]:
    """keep_verified per format (EoT derived from the programs when `derive_eot`); per-format
    stats.
    """
    if derive_eot and "eot" in formats and "pot" in raw:
        raw["eot"], not_convertible = derive_equations(raw["pot"])
    kept, stats = [], {}
    for fmt in formats:
        if fmt not in raw or len(raw[fmt]) == 0:
            stats[fmt] = {"n_in": 0, "n_kept": 0, "yield": 0.0, "failures": {}, "available": False}
            continue
        filtered, stats[fmt] = keep_verified(raw[fmt], fmt)
        kept.append(filtered.select_columns(list(COLUMNS)))
        if fmt == "eot" and derive_eot:
            stats[fmt] = _add_unconverted(stats[fmt], not_convertible)
    return kept, stats


def _add_unconverted(stats: dict[str, Any], count: int) -> dict[str, Any]:
    n_in = stats["n_in"] + count
    failures = {**stats["failures"], "not_straight_line": count}
    return {
        **stats,
        "n_in": n_in,
        "yield": stats["n_kept"] / max(n_in, 1),
        "failures": failures,
        "derived": True,
    }


def order_by_question(parts: list[Dataset]) -> Dataset:
    """One dataset, rows grouped by question (pool order) with formats cot, pot, eot in turn."""
    rows = [row for part in parts for row in part]
    first_seen = {qid: i for i, qid in reversed(list(enumerate(r["question_id"] for r in rows)))}
    rows.sort(key=lambda r: (first_seen[r["question_id"]], FORMATS.index(r["format"])))
    return Dataset.from_list(rows) if rows else Dataset.from_dict({c: [] for c in COLUMNS})


def build_teacher_data(cfg: ExperimentConfig) -> tuple[Dataset, dict[str, Any]]:
    """Verified teacher thoughts for cfg's pool (all configured formats) and yield stats; saved for
    training."""
    out, settings = teacher_data_dir(cfg), teacher_settings(cfg)
    live = cfg.teacher.source == "live"
    raw, contamination = live_outputs(cfg, out / "raw") if live else released_outputs(cfg)
    parts, per_format = verify_formats(raw, tuple(cfg.data.options.formats), derive_eot=not live)
    data = order_by_question(parts)
    stats = {
        "settings": settings,
        "formats": per_format,
        "n_records": len(data),
        "n_questions": len(set(data["question_id"])),
        "contamination": contamination,
        "note": "live teacher, sampled blind and filtered by gold"
        if live
        else NOTES[settings["pool"]],
    }
    out.mkdir(parents=True, exist_ok=True)
    data.save_to_disk(str(out / "train"))
    (out / "stats.json").write_text(json.dumps(stats, indent=2))
    return data, stats


def teacher_data(cfg: ExperimentConfig) -> tuple[Dataset, dict[str, Any]]:
    """The saved teacher data when its settings match cfg, else build_teacher_data(cfg)."""
    return saved_teacher_data(cfg) or build_teacher_data(cfg)


def preview_live_teacher(cfg: ExperimentConfig, questions: int) -> dict[str, dict[str, Any]]:
    """Send `questions` GSM8K train questions per format to the configured teacher (the embedded
    SmolLM2 when no key is set) and verify the answers; shows the live path, training never reads
    these."""
    preview = cfg.replace(
        {"data.dataset": "math-gsm8k", "teacher.source": "live", "teacher.limit": questions}
    )
    raw, _ = live_outputs(preview, teacher_data_dir(cfg) / "preview")
    _, stats = verify_formats(raw, tuple(cfg.data.options.formats), derive_eot=False)
    return stats


def teacher_yields(cfg: ExperimentConfig) -> list[dict[str, Any]]:
    """Per training pool of the grid and thought format: the verified yield saved with the teacher
    data."""
    rows = []
    for name in cfg.grid.datasets:
        stats = json.loads((teacher_dir(cfg, "math") / name / "stats.json").read_text())
        rows += [
            {"pool": name, "format": fmt, "yield": s["yield"]}
            for fmt, s in stats["formats"].items()
        ]
    return rows


def yield_table(stats: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """Per pool and format: thoughts in, kept, verified yield and failure counts (from
    run_teacher_stage)."""
    return pd.DataFrame(
        [
            {
                "pool": name,
                "format": fmt,
                "n_in": s["n_in"],
                "kept": s["n_kept"],
                "verified_yield": s["yield"],
                "failures": s["failures"],
            }
            for name, pool_stats in stats.items()
            for fmt, s in pool_stats["formats"].items()
        ]
    )


def contamination_table(stats: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """Per pool and benchmark: benchmark size, its questions found in the pool, pool questions
    matching it, whether those were removed (the benchmark is tested on), and the pool's questions
    before and after."""
    rows = []
    for name, pool_stats in stats.items():
        report = pool_stats["contamination"]
        for benchmark, entry in report["benchmarks"].items():
            rows.append(
                {
                    "pool": name,
                    "benchmark": benchmark,
                    **entry,
                    "pool_questions_before": report["pool_questions_before"],
                    "pool_questions_after": report["pool_questions_after"],
                }
            )
    return pd.DataFrame(rows)


def run_teacher_stage(
    cfg: ExperimentConfig, stage_dir: Path, log: Any = print
) -> dict[str, dict[str, Any]]:
    """Build (or reuse) the verified teacher data of every pool in the grid; stage metrics into
    stage_dir."""
    stats = {}
    for name in cfg.grid.datasets:
        _, stats[name] = teacher_data(cfg.replace({"data.dataset": name}))
        write_stage_result(cfg, f"teacher-{name}", {"stats": stats[name]})
        log(
            f"{name}: {stats[name]['n_records']} verified thoughts for "
            f"{stats[name]['n_questions']} questions; "
            f"{stats[name]['note']}"
        )
    write_json(stage_dir / "metrics.json", stats)
    return stats
