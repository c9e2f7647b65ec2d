"""Checkpoints a kill cannot corrupt; a corrupt checkpoint (truncated, or the same size with other
bytes) is set aside and the cell restarts from fresh weights; a non-finite loss stops the cell."""

from __future__ import annotations

import json
import pickle

import pytest
from accelerate import Accelerator

from distill_lib.config import load_config
from distill_lib.config_sections import MethodConfig, TrainConfig
from distill_lib.models.tiny import tiny_t5
from distill_lib.papers.index import build_method
from distill_lib.runs import cell_dir
from distill_lib.train import loop
from distill_lib.train.batching import encode_row
from distill_lib.train.checkpoints import (
    CheckpointSetAside,
    CheckpointWarning,
    NonFiniteLoss,
    TrainState,
    file_sha256,
    load_checkpoint,
    save_checkpoint,
    verify_saved_model,
)
from distill_lib.train.loop import train

RECORDS = [
    {
        "input": f"what is {i} plus {i}",
        "input_b": "",
        "label": f"{2 * i}",
        "llm_label": f"{2 * i}",
        "rationale": f"{i} and {i} make {2 * i}",
    }
    for i in range(16)
]


def _train(tokenizer, run_dir, steps=3, lr=3e-3, eval_every=3):
    method = build_method(MethodConfig(name="dss"))
    features = [
        [encode_row(r, tokenizer, True, 32, 16) for r in method.rows(rec)] for rec in RECORDS
    ]
    cfg = TrainConfig(
        lr=lr,
        global_batch_size=8,
        per_device_batch_size=8,
        max_steps=steps,
        eval_every=eval_every,
        log_every=1,
        seed=0,
        precision="fp32",
    )
    return train(
        tiny_t5(tokenizer), tokenizer, True, features, method.weights, lambda m: 0.0, cfg, run_dir
    )


def test_a_kill_during_a_save_leaves_the_previous_checkpoint_whole(
    tiny_tokenizer, tmp_path, monkeypatch
):
    _train(tiny_tokenizer, tmp_path)  # writes checkpoint/ at step 3
    before = json.loads((tmp_path / "checkpoint" / "manifest.json").read_text())
    acc = Accelerator(cpu=True)

    def dies_halfway(folder):
        (tmp_path / "checkpoint.tmp" / "model.safetensors").parent.mkdir(exist_ok=True)
        (tmp_path / "checkpoint.tmp" / "model.safetensors").write_bytes(b"trunc")
        raise KeyboardInterrupt

    monkeypatch.setattr(acc, "save_state", dies_halfway)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(acc, TrainState(step=99), tmp_path)
    assert json.loads((tmp_path / "checkpoint" / "manifest.json").read_text()) == before
    state = json.loads((tmp_path / "checkpoint" / "train_state.json").read_text())
    assert state["step"] == 3


@pytest.mark.parametrize(
    "damage,reason",
    [("truncate", "differ from the manifest"), ("garbage_state", "JSONDecodeError")],
)
def test_a_corrupt_checkpoint_is_set_aside(tiny_tokenizer, tmp_path, damage, reason):
    _train(tiny_tokenizer, tmp_path)
    folder = tmp_path / "checkpoint"
    if damage == "truncate":
        weights = next(folder.glob("*.safetensors"))
        weights.write_bytes(weights.read_bytes()[:100])
    else:
        (folder / "train_state.json").write_text("{not json")
        manifest = json.loads((folder / "manifest.json").read_text())
        manifest["train_state.json"] = {
            "bytes": len("{not json"),
            "sha256": file_sha256(folder / "train_state.json"),
        }
        (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.warns(CheckpointWarning, match=reason), pytest.raises(CheckpointSetAside):
        _train(tiny_tokenizer, tmp_path, steps=6)  # the resume inside train()
    assert not folder.exists() and len(list(tmp_path.glob("checkpoint.corrupt-*"))) == 1
    assert load_checkpoint(Accelerator(cpu=True), tmp_path).step == 0  # nothing left: a fresh start


def test_a_cell_with_a_corrupt_checkpoint_restarts_and_finishes(tmp_path, monkeypatch, data_dir):
    monkeypatch.setenv("DISTILL_RUN_ROOT", str(tmp_path))
    cfg = load_config(
        "configs/dss.yaml",
        "smoke",
        {
            "data.dataset": "svamp",
            "method.name": "standard_ft",
            "train.max_steps": 4,
            "train.eval_every": 2,
            "data.train_limit": 16,
            "data.test_limit": 4,
            "data.valid_limit": 4,
            "train.precision": "fp32",
        },
    )
    folder = cell_dir(cfg) / "checkpoint"
    folder.mkdir(parents=True)
    (folder / "train_state.json").write_text(json.dumps({"step": 2}))
    (folder / "manifest.json").write_text(
        json.dumps({"train_state.json": 1, "model.safetensors": 10})
    )
    from distill_lib.experiment import run_cell

    with pytest.warns(CheckpointWarning, match="differ from the manifest"):
        metrics = run_cell(cfg)
    assert metrics["last_step"] == 4 and len(list(cell_dir(cfg).glob("checkpoint.corrupt-*"))) == 1


def _flip_bytes(path, at=0.5):
    """Overwrite 64 bytes in the middle of `path` with their complement: same size, other bytes."""
    data = bytearray(path.read_bytes())
    start = int(len(data) * at)
    data[start : start + 64] = bytes(255 - b for b in data[start : start + 64])
    path.write_bytes(bytes(data))


def test_an_intact_checkpoint_resumes_and_its_manifest_has_hashes(tiny_tokenizer, tmp_path, capsys):
    _train(tiny_tokenizer, tmp_path)
    folder = tmp_path / "checkpoint"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["model.safetensors"] == {
        "bytes": (folder / "model.safetensors").stat().st_size,
        "sha256": file_sha256(folder / "model.safetensors"),
    }
    assert _train(tiny_tokenizer, tmp_path, steps=6)[1].step == 6
    assert "resuming from" in capsys.readouterr().out
    assert not list(tmp_path.glob("checkpoint.corrupt-*"))


def test_a_same_size_change_in_the_weights_is_set_aside_on_resume(tiny_tokenizer, tmp_path):
    _train(tiny_tokenizer, tmp_path)
    weights = tmp_path / "checkpoint" / "model.safetensors"
    size = weights.stat().st_size
    _flip_bytes(weights)
    assert weights.stat().st_size == size
    with (
        pytest.warns(CheckpointWarning, match="sha256.*model.safetensors"),
        pytest.raises(CheckpointSetAside, match="sha256"),
    ):
        _train(tiny_tokenizer, tmp_path, steps=6)  # the resume inside train()
    assert not (tmp_path / "checkpoint").exists()
    assert len(list(tmp_path.glob("checkpoint.corrupt-*"))) == 1
    assert _train(tiny_tokenizer, tmp_path, steps=6)[1].step == 6  # the fallback: a fresh start


def test_a_manifest_with_sizes_only_is_still_accepted(tiny_tokenizer, tmp_path, capsys):
    _train(tiny_tokenizer, tmp_path)
    folder = tmp_path / "checkpoint"
    manifest = json.loads((folder / "manifest.json").read_text())
    sizes = {name: entry["bytes"] for name, entry in manifest.items()}
    (folder / "manifest.json").write_text(json.dumps(sizes))  # as written before hashes
    capsys.readouterr()
    assert _train(tiny_tokenizer, tmp_path, steps=6)[1].step == 6
    assert "at step 3 (manifest without sha256: sizes checked only)" in capsys.readouterr().out


def test_best_is_verified_before_it_is_reloaded(tiny_tokenizer, tmp_path):
    _train(tiny_tokenizer, tmp_path)
    best = tmp_path / "best"
    verify_saved_model(best)  # intact: nothing happens
    assert best.exists() and (tmp_path / "checkpoint").exists()
    _flip_bytes(best / "model.safetensors")
    with pytest.warns(CheckpointWarning, match="best"), pytest.raises(CheckpointSetAside):
        verify_saved_model(best)
    assert not best.exists() and len(list(tmp_path.glob("best.corrupt-*"))) == 1
    # the training state names a best step whose weights are gone: it goes too
    assert not (tmp_path / "checkpoint").exists()
    assert len(list(tmp_path.glob("checkpoint.stale-*"))) == 1


def test_a_nan_loss_stops_training_naming_the_step(tiny_tokenizer, tmp_path, monkeypatch):
    real = loop.forward_loss
    calls = {"n": 0}

    def nan_from_the_third_step(*args, **kwargs):
        calls["n"] += 1
        loss = real(*args, **kwargs)
        return loss * float("nan") if calls["n"] >= 3 else loss  # one micro-batch per step

    monkeypatch.setattr(loop, "forward_loss", nan_from_the_third_step)
    with pytest.raises(NonFiniteLoss, match="nan at step 3") as caught:
        _train(tiny_tokenizer, tmp_path, steps=6, eval_every=2)
    assert caught.value.step == 3
    state = json.loads((tmp_path / "checkpoint" / "train_state.json").read_text())
    assert state["step"] == 2 and state["best_step"] == 2  # nothing from step 3 was saved
    again = pickle.loads(pickle.dumps(caught.value))  # crosses a fresh-process cell's pool
    assert (again.step, str(again)) == (3, str(caught.value))


def test_a_cell_whose_loss_diverges_fails_without_a_result(tmp_path, monkeypatch, data_dir):
    monkeypatch.setenv("DISTILL_RUN_ROOT", str(tmp_path))
    cfg = load_config(
        "configs/dss.yaml",
        "smoke",
        {
            "data.dataset": "svamp",
            "method.name": "standard_ft",
            "train.max_steps": 6,
            "train.eval_every": 3,
            "train.lr": 1e30,
            "data.train_limit": 16,
            "data.test_limit": 4,
            "data.valid_limit": 4,
            "train.precision": "fp32",
        },
    )
    from distill_lib import experiment

    written = []
    monkeypatch.setattr(experiment, "records_results", lambda cfg: True)
    monkeypatch.setattr(experiment, "write_result", lambda *a, **k: written.append(a))
    with pytest.raises(NonFiniteLoss, match="at step"):
        experiment.run_cell(cfg)
    out = cell_dir(cfg)
    assert not written and not (out / "metrics.json").exists()
    assert not (out / "predictions.jsonl").exists()
