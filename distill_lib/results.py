"""The result records: one small JSON per finished cell (and per stage that keeps a result), written
only for real profiles, replaced when a cell at the same grid position reruns, and read back by the
renderers and the ETA. A run writes into this machine's own, git-ignored tree
(runs/results/<experiment>/<profile>/) unless it was asked to write the committed one,
results/<experiment>/<profile>/ (runs.commit_results): a user's run never changes or deletes a
committed record. Readers skip, with a one-line warning naming it, a record that is not valid JSON.

Deliberately left out: where records live (distill_lib.runs owns the layout: `result_path`,
`results_dir`) and what a record holds beyond its provenance (the caller's payload).
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

from distill_lib.config import PROJECT_ROOT, ExperimentConfig
from distill_lib.fingerprint import data_fingerprint
from distill_lib.jsonio import read_json_or_set_aside, write_json
from distill_lib.runs import (
    cell_key,
    commit_results,
    identity_settings,
    package_versions,
    result_path,
    results_dir,
)


def records_results(cfg: ExperimentConfig) -> bool:
    """Whether a finished cell of this config is a real result for results/ (never the smoke profile
    or a tiny randomly initialised student)."""
    return cfg.profile != "smoke" and not cfg.student.name.startswith("tiny-")


def key_prefix(key: str) -> str:
    """The readable part of a cell key (its grid position), without the settings hash."""
    return key.rsplit("-", 1)[0]


def write_result(
    cfg: ExperimentConfig,
    metrics: dict[str, Any],
    precision: str,
    per_example: dict[str, Any] | None = None,
) -> Path:
    """The record of one real cell at runs.result_path(cfg): metrics, resolved config, data
    fingerprint, versions, machine and git commit, and the per-example test outcomes at the selected
    step. An older record of the same grid position with other settings (another hash) in the same
    tree is replaced: a tree holds the latest finished run of each position."""
    from distill_lib.models.precision import machine_info

    record = {
        "key": cell_key(cfg),
        "experiment": cfg.name,
        "profile": cfg.profile,
        "metrics": metrics,
        "test_examples": per_example or {},
        "config": cfg.to_dict(),
        "identity": identity_settings(cfg),
        "data_fingerprint": data_fingerprint(cfg),
        "versions": package_versions(),
        "machine": machine_info(precision),
        "commit": git_commit(),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    path = result_path(cfg)
    for older in path.parent.glob(f"{path.name.rsplit('-', 1)[0]}-*.json"):
        if older != path:
            older.unlink()
    return write_json(path, record)


def git_commit() -> str:
    """The project's git commit (with '+dirty' when tracked files differ), or 'unknown' outside a
    checkout."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=10
        ).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", "distill_lib", "configs")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (commit + ("+dirty" if dirty else "")) if commit else "unknown"


def source_commits(records: list[dict[str, Any]]) -> dict[str, Any]:
    """What a file derived from `records` says of its provenance: `commit`, the commit that
    produced the newest of them (by `finished`), and `commits`, every commit among them."""
    newest = max(records, key=lambda r: str(r.get("finished", "")), default={})
    return {
        "commit": str(newest.get("commit", "unknown")),
        "commits": sorted({str(r.get("commit", "unknown")) for r in records}),
    }


def write_stage_result(cfg: ExperimentConfig, name: str, payload: dict[str, Any]) -> Path | None:
    """A stage's record (e.g. the teacher data's yield) under <results tree>/stages/ (the committed
    tree only when asked, runs.commit_results), for real profiles only; None for smoke runs."""
    if not records_results(cfg):
        return None
    record = {
        "stage": name,
        **payload,
        "config": cfg.to_dict(),
        "versions": package_versions(),
        "commit": git_commit(),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    folder = results_dir(cfg.name, cfg.profile, local=not commit_results())
    return write_json(folder / "stages" / f"{name}.json", record)


def read_stage_results(
    experiment: str, profile: str, local: bool = False
) -> dict[str, dict[str, Any]]:
    """The stage records of one experiment and profile, by name (committed, or with `local` this
    machine's); a corrupt one is skipped with a warning naming it."""
    folder = results_dir(experiment, profile, local=local) / "stages"
    paths = sorted(folder.glob("*.json"))
    records = {p.stem: read_json_or_set_aside(p, rename=False) for p in paths}
    return {name: record for name, record in records.items() if record is not None}


def read_results(experiment: str, profile: str, local: bool = False) -> list[dict[str, Any]]:
    """Every cell record of one experiment and profile: the committed ones, or with `local` this
    machine's (an empty list when there are none); a corrupt one is skipped with a warning naming
    it."""
    folder = results_dir(experiment, profile, local=local)
    paths = sorted(p for p in folder.rglob("*.json") if "stages" not in p.relative_to(folder).parts)
    records = [read_json_or_set_aside(path, rename=False) for path in paths]
    return [r for r in records if r is not None]


def recorded_metrics(cfg: ExperimentConfig) -> dict[str, Any] | None:
    """The metrics of this cell's own record at runs.result_path (same key: same settings, same
    data), or None. A grid that finds it counts the cell as finished even when its run folder is
    gone (a fresh machine, a deleted run root), so a committed cell never runs twice."""
    if not records_results(cfg):
        return None
    record = read_json_or_set_aside(result_path(cfg), rename=False)
    if not isinstance(record, dict) or record.get("key") != cell_key(cfg):
        return None
    metrics = record.get("metrics")
    return metrics if isinstance(metrics, dict) else None
