"""The run layout, in one place: where stages, cells, teacher outputs, figures and result records
live. `DISTILL_RUN_ROOT` and `DISTILL_FIGURES_ROOT` replace the top folders.

    runs/<experiment>/<profile>/                    run_dir(cfg)
        <stage>/                                    stage_dir(cfg, stage): config, versions, metrics
        teacher/<dataset>/<split>/                  teacher_dir(cfg, dataset, split)
        cells/<dataset>/<method>/<seed...>-<hash>/  cell_dir(cfg)
    figures/<experiment>/<profile>/                 figures_dir(cfg)
    results/<experiment>/<profile>/<dataset>/<method>/<seed...>-<hash>.json
                                                    the committed records: results_dir(...)
    runs/results/<experiment>/<profile>/...         this machine's records (git-ignored):
                                                    results_dir(..., local=True)

result_path(cfg) is where a finished cell's record goes: the local tree, unless this run was asked
to write the committed one by setting `DISTILL_RESULTS_ROOT` (to `results` for the project's own
grid runs, or to any folder); a user's run therefore never changes or deletes a committed record.

A cell's identity is every resolved setting that can change its result (`identity_settings`): a
readable prefix (dataset, method and label source, seed, data fraction, "untrained") plus a short
hash of the rest and of the content of the data and teacher outputs the cell reads
(distill_lib.fingerprint), so two different configs, or one config over changed data, never share
a folder and a finished cell is reused only when both match. The settings that cannot change a
result by design (where files go, logging, micro-batching, teacher transport) are listed in
NOT_IDENTITY; `train.precision: auto` is hashed as the precision it resolves to here. A paper option
or an eval setting added after records existed is declared with `config_values.LATE` metadata and
enters the hash only when set away from its default, so adding it keeps the keys of every cell that
ran before it.

`grid_cells(cfg)` lists the cells of a config's grid; tables and figures read exactly those cells,
so a run folder that also holds cells of other settings never mixes them in.

Deliberately left out: what is written inside a cell (distill_lib.experiment), writing and reading
the records (distill_lib.results), how files are written and read (distill_lib.jsonio, whose
helpers are re-exported here) and how results are drawn (distill_lib.plots).
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import os
from pathlib import Path
from typing import Any

import yaml

from distill_lib.config import PROJECT_ROOT, ExperimentConfig, load_config, project_relative
from distill_lib.config_values import late_defaults
from distill_lib.jsonio import (  # noqa: F401  (re-exported: the long-standing import path)
    read_json,
    read_jsonl,
    read_predictions,
    write_json,
    write_text_atomic,
)

# Dotted keys that never change a cell's result: paths, logging, micro-batching, teacher transport,
# display.
NOT_IDENTITY = (
    "name",
    "paper",
    "profile",
    "run_root",
    "grid",
    "data.data_dir",
    "student.cache_dir",
    "train.log_every",
    "train.save_checkpoints",
    "train.per_device_batch_size",
    "train.micro_batch_tokens",
    "train.heap_trim_above_gb",
    "eval.batch_size",
    "teacher.api_key_env",
    "teacher.concurrency",
    "teacher.timeout_s",
    "teacher.max_retries",
    "teacher.cache_dir",
    "teacher.prices",
    "extra.teacher_preview",
    "extra.teacher_datasets",
    "extra.report_metrics",
)
HASH_CHARS = 10


def _root(env: str, default: str) -> Path:
    root = Path(os.environ.get(env) or default)
    return root if root.is_absolute() else PROJECT_ROOT / root


def run_dir(cfg: ExperimentConfig) -> Path:
    """runs/<experiment>/<profile>; DISTILL_RUN_ROOT, when set, replaces the config's `run_root`."""
    return _root("DISTILL_RUN_ROOT", cfg.run_root) / cfg.name / cfg.profile


def stage_dir(cfg: ExperimentConfig, stage: str) -> Path:
    return run_dir(cfg) / stage


def teacher_dir(cfg: ExperimentConfig, dataset: str, split: str | None = None) -> Path:
    """Where the teacher stage writes its outputs for one dataset (and split, for the records
    training reads)."""
    base = run_dir(cfg) / "teacher" / dataset
    return base / split if split else base


def figures_dir(
    cfg: ExperimentConfig | None = None, experiment: str = "", profile: str = ""
) -> Path:
    """figures/<experiment>/<profile> for a config (or names); DISTILL_FIGURES_ROOT replaces
    `figures`."""
    if cfg is not None:
        experiment, profile = cfg.name, cfg.profile
    return _root("DISTILL_FIGURES_ROOT", "figures") / experiment / profile


def commit_results() -> bool:
    """Whether this run writes its records into the committed tree: only when asked, by setting
    DISTILL_RESULTS_ROOT (`results` for the project's own grid runs)."""
    return bool(os.environ.get("DISTILL_RESULTS_ROOT"))


def results_dir(experiment: str, profile: str, local: bool = False) -> Path:
    """results/<experiment>/<profile>: the committed records of real cells (DISTILL_RESULTS_ROOT
    replaces `results`); with `local`, this machine's own records under <run root>/results/."""
    if local:
        return _root("DISTILL_RUN_ROOT", "runs") / "results" / experiment / profile
    return _root("DISTILL_RESULTS_ROOT", "results") / experiment / profile


def identity_settings(cfg: ExperimentConfig) -> dict[str, Any]:
    """The resolved settings that decide a cell's result (NOT_IDENTITY removed, precision
    resolved).
    """
    from distill_lib.models.precision import resolve_precision

    settings = copy.deepcopy(cfg.to_dict())
    for key in NOT_IDENTITY:
        *sections, leaf = key.split(".")
        parent = settings
        for part in sections:
            parent = parent.get(part, {})
        parent.pop(leaf, None)
    for section in ("data", "method"):
        for name in late_defaults(getattr(cfg, section).options):
            settings[section]["options"].pop(name, None)
    for name in late_defaults(cfg.eval):
        settings["eval"].pop(name, None)
    settings["train"]["precision"] = resolve_precision(cfg.train.precision)
    return settings


def cell_hash(cfg: ExperimentConfig) -> str:
    """A short hash of the identity settings and of the data fingerprint."""
    from distill_lib.fingerprint import data_fingerprint

    identity = {"settings": identity_settings(cfg), "data": data_fingerprint(cfg)}
    text = json.dumps(identity, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:HASH_CHARS]


def swept_keys(cfg: ExperimentConfig) -> list[str]:
    """The dotted settings a tuning sweep varies (grid.sweep, then grid.sweep_recipes' keys)."""
    keys = list(cfg.grid.sweep)
    for recipe in cfg.grid.sweep_recipes:
        keys += [k for k in recipe if k not in keys]
    return keys


def cell_key(cfg: ExperimentConfig) -> str:
    """<dataset>/<method>[-llm]/seed<k>[_frac<p>][_untrained]-<hash>: readable, and unique per
    config."""
    method = cfg.method.name + ("-llm" if cfg.method.label_source == "llm" else "")
    tail = f"seed{cfg.train.seed}"
    tail += f"_frac{cfg.data.train_fraction:g}" if cfg.data.train_fraction < 1.0 else ""
    tail += "_untrained" if cfg.train.max_steps == 0 else ""
    tail += "".join(f"_{key.rsplit('.', 1)[-1]}{cfg.get(key)}" for key in swept_keys(cfg))
    return f"{cfg.data.dataset}/{method}/{tail}-{cell_hash(cfg)}"


def cell_dir(cfg: ExperimentConfig) -> Path:
    return run_dir(cfg) / "cells" / cell_key(cfg)


def grid_cell(
    cfg: ExperimentConfig, dataset: str, method: str, seed: int, fraction: float = 1.0
) -> ExperimentConfig:
    """The config of one cell of cfg's grid (with the method's own settings from
    grid.method_overrides)."""
    return cfg.replace(
        {
            "data.dataset": dataset,
            "method.name": method,
            "train.seed": seed,
            "data.train_fraction": fraction,
            **cfg.grid.method_overrides.get(method, {}),
        }
    )


def grid_cells(cfg: ExperimentConfig) -> list[ExperimentConfig]:
    """Configs of every cell in cfg.grid, each once: the untrained row per dataset, datasets x
    methods x seeds, the extra seeds of some methods and datasets, the data-fraction curve, the
    model-size axis (other students) and the unlabelled setting (methods trained on the teacher's
    labels, over the fractions)."""
    grid = cfg.grid
    blocks = [
        (grid.datasets, grid.methods, grid.seeds, [1.0]),
        (grid.extra_seed_datasets, grid.extra_seed_methods, grid.extra_seeds, [1.0]),
        (
            grid.fraction_datasets,
            grid.fraction_methods,
            grid.seeds,
            [p for p in grid.fractions if p < 1.0],
        ),
    ]
    cells = []
    if grid.untrained:
        untrained = {
            "method.name": grid.methods[0],
            "train.max_steps": 0,
            **grid.untrained_overrides,
        }
        cells += [cfg.replace({"data.dataset": d, **untrained}) for d in grid.datasets]
    for datasets, methods, seeds, fractions in blocks:
        cells += [
            grid_cell(cfg, d, m, s, p)
            for d, m, s, p in itertools.product(datasets, methods, seeds, fractions)
        ]
    for student, d, m, s in itertools.product(
        grid.students, grid.student_datasets, grid.student_methods, grid.seeds
    ):
        cells.append(grid_cell(cfg, d, m, s).replace({"student.name": student}))
    for d, m, s, p in itertools.product(
        grid.unlabelled_datasets, grid.unlabelled_methods, grid.seeds, grid.fractions or [1.0]
    ):
        cells.append(grid_cell(cfg, d, m, s, p).replace({"method.label_source": "llm"}))
    if grid.sweep or grid.sweep_recipes:  # each cell once per combination of swept settings
        keys = list(grid.sweep)
        combos = [
            {**dict(zip(keys, values, strict=True)), **recipe}
            for values in itertools.product(*grid.sweep.values())
            for recipe in grid.sweep_recipes or [{}]
        ]
        cells = [c.replace(combo) for c in cells for combo in combos]
    # the first occurrence wins, order kept below
    unique = {cell_key(c): c for c in reversed(cells)}
    return [c for c in cells if unique.get(cell_key(c)) is c]


def package_versions() -> dict[str, str]:
    """Versions of the packages that decide results, for the run record."""
    import importlib.metadata as md
    import platform

    names = [
        "torch",
        "transformers",
        "tokenizers",
        "datasets",
        "accelerate",
        "openai",
        "sympy",
        "sacrebleu",
        "nltk",
    ]
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = md.version(name)
        except md.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def write_run_record(cfg: ExperimentConfig, directory: str | Path) -> Path:
    """Write the resolved config and library versions into `directory` (created if needed)."""
    directory = Path(directory)
    write_text_atomic(directory / "config.yaml", yaml.safe_dump(cfg.to_dict(), sort_keys=False))
    return write_json(directory / "versions.json", package_versions())


def open_stage(
    config: str | Path, profile: str, overrides: dict[str, Any] | None, stage: str
) -> tuple[ExperimentConfig, Path]:
    """A notebook's first step: load the config, write its run record into the stage folder, say
    where."""
    cfg = load_config(config, profile, overrides)
    out = stage_dir(cfg, stage)
    write_run_record(cfg, out)
    print(f"experiment {cfg.name} / profile {cfg.profile} -> {project_relative(out)}")
    return cfg, out


def result_path(cfg: ExperimentConfig) -> Path:
    """Where the cell's record goes: the committed tree when asked (commit_results), else the
    local one."""
    local = not commit_results()
    return results_dir(cfg.name, cfg.profile, local=local) / f"{cell_key(cfg)}.json"
