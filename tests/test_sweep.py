"""A tuning sweep's records: the table, the choice per method (only settings scored on every
dataset compete, ties to the smaller learning rate) and the rule that a powered grid's
method_overrides are the sweep's choice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from distill_lib.config import load_config
from distill_lib.plots.sweep import render_sweep, sweep_choice, sweep_frame, sweep_table

KEYS = ["train.lr", "train.schedule"]


def _record(root: Path, method: str, dataset: str, lr: float, schedule: str, valid: float) -> None:
    folder = root / "dss" / "sweep" / dataset / method
    folder.mkdir(parents=True, exist_ok=True)
    record = {
        "metrics": {
            "method": method,
            "dataset": dataset,
            "valid_at_best": {"primary": valid},
            "n_valid": 200,
        },
        "config": {"train": {"lr": lr, "schedule": schedule}},
    }
    (folder / f"seed0_lr{lr}_{schedule}.json").write_text(json.dumps(record))


@pytest.fixture
def sweep_root(tmp_path, monkeypatch):
    monkeypatch.setenv("DISTILL_RESULTS_ROOT", str(tmp_path))
    for dataset, bonus in (("esnli", 0.0), ("svamp", 10.0)):
        _record(tmp_path, "dss", dataset, 1e-4, "linear", 40 + bonus)
        _record(tmp_path, "dss", dataset, 1e-3, "cosine", 50 + bonus)
        _record(tmp_path, "standard_ft", dataset, 1e-4, "linear", 45 + bonus)
        _record(tmp_path, "standard_ft", dataset, 1e-3, "linear", 45 + bonus)
    _record(tmp_path, "standard_ft", "esnli", 3e-4, "linear", 90.0)  # not scored on svamp
    return tmp_path


def test_the_choice_is_the_best_mean_over_datasets_among_complete_settings(sweep_root):
    frame = sweep_frame("dss", "sweep", KEYS)
    choice = sweep_choice(frame, KEYS)
    assert choice["dss"] == {"train.lr": 1e-3, "train.schedule": "cosine", "valid_mean": 55.0}
    # 3e-4 scored 90 on e-SNLI only: incomplete, so it does not compete; the tie goes to 1e-4
    assert choice["standard_ft"] == {
        "train.lr": 1e-4,
        "train.schedule": "linear",
        "valid_mean": 50.0,
    }
    table = sweep_table(frame, KEYS)
    assert table.loc[("dss", 1e-3, "cosine"), "mean"] == 55.0


def test_render_writes_the_choice_beside_the_records_and_a_figure(sweep_root, tmp_path):
    folder = sweep_root / "dss" / "sweep"
    _, stale = render_sweep("dss", "sweep", KEYS, tmp_path / "fig", folder, "t", write=False)
    assert stale == folder / "stages" / "choice.json" and not stale.exists()
    block, stale = render_sweep("dss", "sweep", KEYS, tmp_path / "fig", folder, "t")
    saved = json.loads((sweep_root / "dss" / "sweep" / "stages" / "choice.json").read_text())
    assert (
        saved["choice"]["dss"]["train.lr"] == 1e-3
        and saved["commits"] == ["unknown"]
        and "never looks at test" in block
        and stale is None
    )
    assert (tmp_path / "fig" / "sweep.png").stat().st_size > 0


@pytest.mark.parametrize("experiment", ["dss", "math"])
def test_a_grid_with_method_overrides_uses_what_its_sweep_chose(experiment):
    """Every profile of configs/<experiment>.yaml that sets grid.method_overrides sets exactly the
    committed sweep's choice (results/<experiment>/sweep/stages/choice.json) for each method."""
    profiles = yaml.safe_load(Path(f"configs/{experiment}.yaml").read_text())["profiles"]
    path = Path(f"results/{experiment}/sweep/stages/choice.json")
    for profile in profiles:
        cfg = load_config(f"configs/{experiment}.yaml", profile)
        if not cfg.grid.method_overrides:
            continue
        assert path.exists(), f"{profile}: method_overrides without a committed sweep choice"
        choice = json.loads(path.read_text())["choice"]
        for method, overrides in cfg.grid.method_overrides.items():
            chosen = {k: v for k, v in choice[method].items() if k != "valid_mean"}
            assert overrides == chosen, f"{experiment}/{profile} {method}"


def test_a_method_whose_sweep_is_still_running_has_no_choice(sweep_root):
    frame = sweep_frame("dss", "sweep", KEYS)
    assert set(sweep_choice(frame, KEYS, cells_per_method=5)) == {"standard_ft"}


@pytest.mark.parametrize("experiment", ["dss", "math"])
def test_a_grid_tuned_by_a_sweep_refuses_to_run_without_its_choice(experiment):
    from distill_lib.config_values import ConfigError
    from distill_lib.grid import check_tuned

    cfg = load_config(f"configs/{experiment}.yaml", "cpu-powered")
    untuned = cfg.replace({"grid.method_overrides": {}})
    with pytest.raises(ConfigError, match="tuned_by = 'sweep'.*choice.json"):
        check_tuned(untuned)
    tuned = {m: {"train.lr": 1e-3} for m in cfg.grid.methods}
    check_tuned(cfg.replace({"grid.method_overrides": tuned}))
