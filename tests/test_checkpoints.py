"""Checkpoints a kill cannot corrupt; a corrupt checkpoint is set aside and the cell restarts from
fresh weights."""

from __future__ import annotations

import json

import pytest
from accelerate import Accelerator

from distill_lib.config import load_config
from distill_lib.config_sections import MethodConfig, TrainConfig
from distill_lib.models.tiny import tiny_t5
from distill_lib.papers.index import build_method
from distill_lib.runs import cell_dir
from distill_lib.train.batching import encode_row
from distill_lib.train.checkpoints import (
    CheckpointSetAside,
    TrainState,
    load_checkpoint,
    save_checkpoint,
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


def _train(tokenizer, run_dir, steps=3):
    method = build_method(MethodConfig(name="dss"))
    features = [
        [encode_row(r, tokenizer, True, 32, 16) for r in method.rows(rec)] for rec in RECORDS
    ]
    cfg = TrainConfig(
        lr=3e-3,
        global_batch_size=8,
        per_device_batch_size=8,
        max_steps=steps,
        eval_every=3,
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


@pytest.mark.parametrize("damage", ["truncate", "garbage_state"])
def test_a_corrupt_checkpoint_is_set_aside(tiny_tokenizer, tmp_path, damage):
    _train(tiny_tokenizer, tmp_path)
    folder = tmp_path / "checkpoint"
    if damage == "truncate":
        weights = next(folder.glob("*.safetensors"))
        weights.write_bytes(weights.read_bytes()[:100])
    else:
        (folder / "train_state.json").write_text("{not json")
        manifest = json.loads((folder / "manifest.json").read_text())
        manifest["train_state.json"] = len("{not json")
        (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CheckpointSetAside):
        load_checkpoint(Accelerator(cpu=True), tmp_path)
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

    metrics = run_cell(cfg)
    assert metrics["last_step"] == 4 and len(list(cell_dir(cfg).glob("checkpoint.corrupt-*"))) == 1
