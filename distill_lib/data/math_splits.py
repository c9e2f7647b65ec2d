"""Math thought distillation (EoTD / ETD) data: verified teacher thoughts for training, benchmarks for test.

`cfg.data.dataset` names the *training question pool* (one model per method, evaluated on every benchmark):
  - `math-gsm8k`: GSM8K train questions. Teacher thoughts from a live teacher (`teacher.source: live`: k =
    `teacher.n` samples per question and format at `teacher.temperature`, templates math_cot/pot/eot), or offline
    from the released gemini-2.5-flash + gpt-4.1 programs (PoT only, written *with the gold solution in view*).
  - `math-reft`: the ReFT pool (MAWPS + ASDiv-A, 3,076 questions) with its released gpt-3.5-turbo CoT and
    programs, meant for SVAMP evaluation.
Offline, EoT targets are *derived* from the programs by `program_to_equations` (a documented deviation: not teacher
EoT), and released programs are cleaned to straight-line code ending in `ans = ...` (`clean_program`).
Every format is filtered by `filter_verified` (verified answer == gold, exact duplicates dropped); the records and
per-format yields are saved under `run_dir/teacher/math/<dataset>/` and reused while the settings match, so
training reads exactly the data the teacher notebook reported.

`load_math_splits(cfg)`: train = the saved verified thoughts (all formats, `format` column), ordered by question
so that a row limit keeps every format; valid = one record per held-out question (`data.options.valid_fraction`
of the pool's questions with a verified thought, default 5%, drawn with `data.options.split_seed`, default 0);
test = the benchmarks in `cfg.extra["eval_datasets"]` (default: the pool's own), ids `<benchmark>/<id>`,
interleaved round-robin so that `data.test_limit` (a total, applied by load_splits) splits evenly.
`teacher.limit` caps the number of pool questions whose thoughts are used (released) or sent (live).

Deliberately left out: student inputs (distill_lib.methods.math) and scoring (distill_lib.evaluate).
"""

from __future__ import annotations

import dataclasses
import json
import random
from itertools import zip_longest
from pathlib import Path
from typing import Any

from datasets import Dataset, DatasetDict, load_from_disk

from distill_lib.config import ExperimentConfig
from distill_lib.data.math import load_gsm8k, load_math_benchmark
from distill_lib.data.math_teacher import (
    clean_program,
    filter_verified,
    load_gsm8k_train_programs,
    load_reft_svamp,
    program_to_equations,
)
from distill_lib.data.records import DataUnavailable
from distill_lib.runs import teacher_dir

FORMATS = ("cot", "pot", "eot")
POOLS = {"math-gsm8k": "gsm8k", "math-reft": "svamp"}  # training pool -> its default eval benchmark
COLUMNS = ("id", "question_id", "input", "label", "answer", "rationale", "llm_label", "format", "source")
KNOWN_OPTIONS = {"valid_fraction", "split_seed", "formats"}
NOTES = {
    "math-gsm8k": "released programs are gold-conditioned (the teacher saw the gold solution); EoT derived from them",
    "math-reft": "released gpt-3.5-turbo CoT/PoT kept upstream only when correct; EoT derived from the programs",
}


def _pool(cfg: ExperimentConfig) -> str:
    if cfg.data.dataset not in POOLS:
        raise ValueError(f"math data.dataset '{cfg.data.dataset}': choose a training pool from {sorted(POOLS)}")
    unknown = sorted(set(cfg.data.options or {}) - KNOWN_OPTIONS)
    if unknown:
        raise ValueError(f"data.options: unknown math option(s) {unknown}; known: {sorted(KNOWN_OPTIONS)}")
    return cfg.data.dataset


def teacher_data_dir(cfg: ExperimentConfig) -> Path:
    return teacher_dir(cfg, "math") / cfg.data.dataset


def eval_datasets(cfg: ExperimentConfig) -> list[str]:
    """The benchmarks every cell is tested on: extra.eval_datasets, else the pool's own benchmark."""
    return list(cfg.extra.get("eval_datasets") or [POOLS[_pool(cfg)]])


def _formats(cfg: ExperimentConfig) -> tuple[str, ...]:
    formats = tuple((cfg.data.options or {}).get("formats", FORMATS))
    if not set(formats) <= set(FORMATS):
        raise ValueError(f"data.options.formats {formats}: choose among {FORMATS}")
    return formats


def _settings(cfg: ExperimentConfig) -> dict[str, Any]:
    """What the saved teacher data depends on; a mismatch rebuilds it."""
    settings = {"pool": cfg.data.dataset, "source": cfg.teacher.source, "limit": cfg.teacher.limit,
                "formats": list(_formats(cfg))}
    if cfg.teacher.source == "live":
        settings.update(model=cfg.teacher.model, n=cfg.teacher.n, temperature=cfg.teacher.temperature)
    return settings


def _first_questions(raw: dict[str, Dataset], limit: int | None) -> dict[str, Dataset]:
    """Every format's rows of the first `limit` distinct question ids (pool order, over all formats)."""
    if not limit:
        return raw
    ids = dict.fromkeys(qid for ds in raw.values() for qid in ds["question_id"])
    keep = set(list(ids)[:limit])
    return {fmt: ds.filter(lambda qid: qid in keep, input_columns="question_id") for fmt, ds in raw.items()}


def released_outputs(cfg: ExperimentConfig) -> dict[str, Dataset]:
    """Unfiltered released thoughts per format for the pool (programs cleaned), limited to teacher.limit questions."""
    data_dir = cfg.data.data_dir
    if _pool(cfg) == "math-reft":
        raw = {"cot": load_reft_svamp("cot", data_dir), "pot": load_reft_svamp("pot", data_dir)}
    else:
        raw = {"pot": load_gsm8k_train_programs(data_dir, clean=True)}
    raw = _first_questions({fmt: ds.add_column("question_id", list(ds["id"])) for fmt, ds in raw.items()},
                           cfg.teacher.limit)
    if cfg.data.dataset == "math-reft":  # ReFT programs: `def solution(): ... return result` -> straight line ending in ans
        raw["pot"] = raw["pot"].map(lambda r: {"rationale": clean_program(r["rationale"])})
    return raw


def pool_questions(cfg: ExperimentConfig) -> list[dict[str, Any]]:
    """The pool's questions as teacher examples (id, input, label, answer, question_id), up to teacher.limit."""
    if _pool(cfg) == "math-gsm8k":
        questions = load_gsm8k("train", cfg.data.data_dir)
    else:
        questions = load_reft_svamp("cot", cfg.data.data_dir)
    rows = questions.select(range(min(cfg.teacher.limit or len(questions), len(questions))))
    return [{"id": r["id"], "input": r["input"], "label": r["label"], "answer": r["answer"],
             "question_id": r["id"]} for r in rows]


def live_outputs(cfg: ExperimentConfig, out_dir: Path) -> dict[str, Dataset]:
    """Ask the configured teacher for every format (k = teacher.n samples each); raw responses under out_dir."""
    from distill_lib.teacher.generate import generate

    examples = pool_questions(cfg)
    outputs = {}
    for fmt in _formats(cfg):
        teacher = dataclasses.replace(cfg.teacher, template=f"math_{fmt}")
        report = generate(teacher, examples, out_dir / fmt, profile=cfg.profile)
        outputs[fmt] = Dataset.from_list(report.records())
    return outputs


def derive_equations(programs: Dataset) -> tuple[Dataset, int]:
    """EoT records from (clean) PoT programs via program_to_equations; also how many could not be converted."""
    systems = [program_to_equations(p) for p in programs["rationale"]]
    keep = [i for i, s in enumerate(systems) if s is not None]
    rows = programs.select(keep)
    rows = rows.remove_columns(["rationale", "format"]).add_column("rationale", [systems[i] for i in keep])
    return rows.add_column("format", ["eot"] * len(keep)), len(systems) - len(keep)


def verify_formats(raw: dict[str, Dataset], formats: tuple[str, ...], derive_eot: bool
                   ) -> tuple[list[Dataset], dict[str, dict[str, Any]]]:
    """filter_verified per format (EoT derived from the programs when `derive_eot`); per-format stats."""
    if derive_eot and "eot" in formats and "pot" in raw:
        raw["eot"], not_convertible = derive_equations(raw["pot"])
    kept, stats = [], {}
    for fmt in formats:
        if fmt not in raw or len(raw[fmt]) == 0:
            stats[fmt] = {"n_in": 0, "n_kept": 0, "yield": 0.0, "failures": {}, "available": False}
            continue
        filtered, stats[fmt] = filter_verified(raw[fmt], fmt)
        kept.append(filtered.select_columns(list(COLUMNS)))
        if fmt == "eot" and derive_eot:
            stats[fmt] = _add_unconverted(stats[fmt], not_convertible)
    return kept, stats


def _add_unconverted(stats: dict[str, Any], count: int) -> dict[str, Any]:
    n_in = stats["n_in"] + count
    failures = {**stats["failures"], "not_straight_line": count}
    return {**stats, "n_in": n_in, "yield": stats["n_kept"] / max(n_in, 1), "failures": failures, "derived": True}


def order_by_question(parts: list[Dataset]) -> Dataset:
    """One dataset, rows grouped by question (pool order) with formats cot, pot, eot in turn."""
    rows = [row for part in parts for row in part]
    first_seen = {qid: i for i, qid in reversed(list(enumerate(r["question_id"] for r in rows)))}
    rows.sort(key=lambda r: (first_seen[r["question_id"]], FORMATS.index(r["format"])))
    return Dataset.from_list(rows) if rows else Dataset.from_dict({c: [] for c in COLUMNS})


def build_teacher_data(cfg: ExperimentConfig) -> tuple[Dataset, dict[str, Any]]:
    """Verified teacher thoughts for cfg's pool (all configured formats) and yield stats; saved for training."""
    out, settings = teacher_data_dir(cfg), _settings(cfg)
    live = cfg.teacher.source == "live"
    raw = live_outputs(cfg, out / "raw") if live else released_outputs(cfg)
    parts, per_format = verify_formats(raw, _formats(cfg), derive_eot=not live)
    data = order_by_question(parts)
    stats = {"settings": settings, "formats": per_format, "n_records": len(data),
             "n_questions": len(set(data["question_id"])),
             "note": "live teacher, sampled blind and filtered by gold" if live else NOTES[settings["pool"]]}
    out.mkdir(parents=True, exist_ok=True)
    data.save_to_disk(str(out / "train"))
    (out / "stats.json").write_text(json.dumps(stats, indent=2))
    return data, stats


def teacher_data(cfg: ExperimentConfig) -> tuple[Dataset, dict[str, Any]]:
    """The saved teacher data when its settings match cfg, else build_teacher_data(cfg)."""
    out = teacher_data_dir(cfg)
    if (out / "stats.json").exists() and (out / "train").exists():
        stats = json.loads((out / "stats.json").read_text())
        if stats.get("settings") == _settings(cfg):
            return load_from_disk(str(out / "train")), stats
    return build_teacher_data(cfg)


def preview_live_teacher(cfg: ExperimentConfig, questions: int) -> dict[str, dict[str, Any]]:
    """Send `questions` GSM8K train questions per format to the configured teacher (the embedded SmolLM2 when
    no key is set) and verify the answers; shows the live path, training never reads these."""
    preview = cfg.replace({"data.dataset": "math-gsm8k", "teacher.source": "live", "teacher.limit": questions})
    raw = live_outputs(preview, teacher_data_dir(cfg) / "preview")
    _, stats = verify_formats(raw, _formats(cfg), derive_eot=False)
    return stats


def _question_record(row: dict[str, Any], benchmark: str | None = None) -> dict[str, Any]:
    qid = row.get("question_id", row["id"])
    return {"id": f"{benchmark}/{qid}" if benchmark else qid, "benchmark": benchmark or "valid",
            "input": row["input"], "label": row["label"], "answer": float(row["answer"]), "rationale": "",
            "llm_label": "", "format": "label", "source": "gold"}


def split_questions(data: Dataset, fraction: float, seed: int) -> tuple[Dataset, Dataset]:
    """(train rows, one valid record per held-out question): round(fraction * questions) ids, at least 1."""
    questions = list(dict.fromkeys(data["question_id"]))
    if not questions:
        raise DataUnavailable("no verified teacher thoughts: nothing to train on (see the teacher stats)")
    held = set(random.Random(seed).sample(questions, max(1, round(fraction * len(questions)))))
    train = data.filter(lambda qid: qid not in held, input_columns="question_id")
    first = {}
    for row in data:
        if row["question_id"] in held:
            first.setdefault(row["question_id"], _question_record(row))
    return train, Dataset.from_list(list(first.values()))


def load_test(cfg: ExperimentConfig) -> Dataset:
    """The eval benchmarks' records interleaved round-robin (ids `<benchmark>/<id>`, column `benchmark`)."""
    per_benchmark = [[_question_record(r, name) for r in load_math_benchmark(name, None, cfg.data.data_dir)]
                     for name in eval_datasets(cfg)]
    return Dataset.from_list([r for group in zip_longest(*per_benchmark) for r in group if r is not None])


def _check_method_formats(cfg: ExperimentConfig, train: Dataset) -> None:
    from distill_lib.methods.math import METHOD_FORMATS

    wanted = cfg.method.options.get("formats", METHOD_FORMATS.get(cfg.method.name, ()))
    if wanted and not set(wanted) & set(train["format"]):
        raise DataUnavailable(f"method {cfg.method.name} needs {list(wanted)} thoughts, but the {cfg.data.dataset} "
                              f"teacher data has only {sorted(set(train['format']))} ({cfg.teacher.source})")


def load_math_splits(cfg: ExperimentConfig) -> DatasetDict:
    """train / valid / test for a math pool (row limits are applied by load_splits)."""
    if cfg.data.train_fraction < 1.0:
        raise ValueError("data.train_fraction < 1 is not supported for math pools; use data.train_limit")
    options = cfg.data.options or {}
    data, _ = teacher_data(cfg)
    train, valid = split_questions(data, options.get("valid_fraction", 0.05), options.get("split_seed", 0))
    _check_method_formats(cfg, train)
    return DatasetDict({"train": train, "valid": valid, "test": load_test(cfg)})


def teacher_yields(cfg: ExperimentConfig) -> list[dict[str, Any]]:
    """Per training pool of the grid and thought format: the verified yield saved with the teacher data."""
    rows = []
    for pool in cfg.grid.datasets:
        stats = json.loads((teacher_dir(cfg, "math") / pool / "stats.json").read_text())
        rows += [{"pool": pool, "format": fmt, "yield": s["yield"]} for fmt, s in stats["formats"].items()]
    return rows
