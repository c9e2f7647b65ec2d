"""Trainer and generation: learning happens, resume reproduces an uninterrupted run, batching is
invisible."""

from __future__ import annotations

import json

import pytest
import torch

from distill_lib.config import load_config
from distill_lib.config_sections import EvalConfig, MethodConfig, TrainConfig
from distill_lib.evaluate.generate import generate_texts
from distill_lib.experiment import run_cell
from distill_lib.methods import Row
from distill_lib.models.loading import Student, load_student
from distill_lib.models.tiny import tiny_causal, tiny_t5
from distill_lib.papers.index import build_method
from distill_lib.runs import cell_dir, cell_key
from distill_lib.train.batching import batch_stream, encode_row
from distill_lib.train.loop import build_optimizer, micro_batch_plan, train

RECORDS = [
    {
        "input": f"what is {i} plus {i}",
        "input_b": "",
        "label": f"{2 * i}",
        "llm_label": f"{2 * i}",
        "rationale": f"{i} and {i} make {2 * i}",
    }
    for i in range(24)
]


def _features(tokenizer, is_seq2seq=True):
    method = build_method(MethodConfig(name="dss"))
    return method, [
        [encode_row(r, tokenizer, is_seq2seq, 32, 16) for r in method.rows(rec)] for rec in RECORDS
    ]


def _cfg(**kw) -> TrainConfig:
    base = dict(
        lr=3e-3,
        global_batch_size=8,
        per_device_batch_size=4,
        max_steps=6,
        eval_every=3,
        log_every=1,
        save_checkpoints=True,
        seed=0,
    )
    return TrainConfig(**{**base, **kw})


def test_loss_decreases_and_best_step_is_saved(tiny_tokenizer, tmp_path):
    method, features = _features(tiny_tokenizer)
    scores = iter([0.1, 0.5, 0.2, 0.3] * 5)
    model, state = train(
        tiny_t5(tiny_tokenizer),
        tiny_tokenizer,
        True,
        features,
        method.weights,
        lambda m: next(scores),
        _cfg(max_steps=12, eval_every=3),
        tmp_path,
    )
    assert state.losses[-1]["loss"] < state.losses[0]["loss"]
    assert state.best_step == 6 and (tmp_path / "best" / "config.json").exists()
    assert [h["step"] for h in state.history] == [3, 6, 9, 12]


@pytest.mark.parametrize("build,is_seq2seq", [(tiny_t5, True), (tiny_causal, False)])
def test_resume_equals_uninterrupted(tiny_tokenizer, tmp_path, build, is_seq2seq):
    method, features = _features(tiny_tokenizer, is_seq2seq)
    full, _ = train(
        build(tiny_tokenizer),
        tiny_tokenizer,
        is_seq2seq,
        features,
        method.weights,
        lambda m: 0.0,
        _cfg(),
        tmp_path / "full",
    )
    calls = {"n": 0}

    # the run dies at step 6, after the step-3 checkpoint was written
    def crash_on_second_evaluation(model):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return 0.0

    with pytest.raises(KeyboardInterrupt):
        train(
            build(tiny_tokenizer),
            tiny_tokenizer,
            is_seq2seq,
            features,
            method.weights,
            crash_on_second_evaluation,
            _cfg(),
            tmp_path / "resumed",
        )
    state = json.loads((tmp_path / "resumed" / "checkpoint" / "train_state.json").read_text())
    assert state["step"] == 3
    resumed, rstate = train(
        build(tiny_tokenizer),
        tiny_tokenizer,
        is_seq2seq,
        features,
        method.weights,
        lambda m: 0.0,
        _cfg(),
        tmp_path / "resumed",
    )
    assert rstate.step == 6
    for a, b in zip(full.state_dict().values(), resumed.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_the_last_validation_runs_without_the_optimizer_state_and_its_checkpoint_resumes(
    tiny_tokenizer, tmp_path, monkeypatch
):
    """AdamW's moments are gone by the last validation (earlier ones still see them); a run resumed
    from the last checkpoint has nothing left to do and returns the same weights."""
    from distill_lib.train import loop

    method, features = _features(tiny_tokenizer, False)
    optimizers, held = [], []
    build = loop.build_optimizer
    monkeypatch.setattr(
        loop, "build_optimizer", lambda *a: optimizers.append(build(*a)) or optimizers[-1]
    )

    def state_size(model) -> float:
        held.append(sum(t.numel() for s in optimizers[-1].state.values() for t in s.values()))
        return 0.0

    args = (tiny_tokenizer, False, features, method.weights, state_size, _cfg(), tmp_path)
    model, state = train(tiny_causal(tiny_tokenizer), *args)
    assert held[0] > 0 and held[-1] == 0 and len(held) == 2  # steps 3 and 6
    resumed, rstate = train(tiny_causal(tiny_tokenizer), *args)
    assert rstate.step == 6 and len(held) == 2  # nothing trained, nothing validated again
    for a, b in zip(model.state_dict().values(), resumed.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize("build,is_seq2seq", [(tiny_t5, True), (tiny_causal, False)])
def test_batched_generation_equals_one_at_a_time(tiny_tokenizer, build, is_seq2seq):
    student = Student(build(tiny_tokenizer), tiny_tokenizer, is_seq2seq, "tiny")
    prompts = [Row(f"what is {i} " + "plus " * (i % 5), "") for i in range(9)]
    batched = generate_texts(
        student, prompts, EvalConfig(batch_size=4, max_new_tokens=6), progress=False
    )
    single = [
        generate_texts(student, [p], EvalConfig(batch_size=1, max_new_tokens=6), progress=False)[0]
        for p in prompts
    ]
    assert batched == single


def test_generation_hands_the_heap_back_after_each_batch(tiny_tokenizer, monkeypatch):
    """A pass's memory must not grow batch by batch (docs/performance.md, session 38)."""
    from distill_lib.evaluate import generate

    trims = []
    monkeypatch.setattr(generate, "trim_heap", lambda: trims.append(1))
    student = Student(tiny_causal(tiny_tokenizer), tiny_tokenizer, False, "tiny")
    prompts = [Row(f"what is {i}", "") for i in range(9)]
    generate_texts(student, prompts, EvalConfig(batch_size=4, max_new_tokens=3), progress=False)
    assert len(trims) == 3  # batches of 4, 4 and 1


def test_fused_optimizer_steps_like_the_reference_adamw():
    """The loop's fused AdamW against torch's per-parameter AdamW (foreach=False), three steps on
    the same gradients: the weights stay equal to float32 rounding."""
    torch.manual_seed(0)
    ours, reference = torch.nn.Linear(16, 8), torch.nn.Linear(16, 8)
    reference.load_state_dict(ours.state_dict())
    start = [p.detach().clone() for p in ours.parameters()]
    cfg = TrainConfig(lr=1e-2, weight_decay=0.1)
    fused = build_optimizer(ours, cfg)
    plain = torch.optim.AdamW(
        reference.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, foreach=False
    )
    assert fused.defaults["fused"]
    for _ in range(3):
        x = torch.randn(4, 16)
        for model, optimizer in ((ours, fused), (reference, plain)):
            optimizer.zero_grad()
            model(x).square().sum().backward()
            optimizer.step()
    for a, b, a0 in zip(ours.parameters(), reference.parameters(), start, strict=True):
        assert (a - a0).abs().max() > 1e-3  # the steps moved the weights
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-6)


def test_global_batch_plan():
    assert micro_batch_plan(
        TrainConfig(global_batch_size=64, per_device_batch_size=16), world=2
    ) == (16, 2)
    assert micro_batch_plan(
        TrainConfig(global_batch_size=64, per_device_batch_size=64), world=1
    ) == (64, 1)
    with pytest.raises(ValueError, match="not a multiple"):
        micro_batch_plan(TrainConfig(global_batch_size=10, per_device_batch_size=4), world=1)


def test_length_grouped_batches_cover_every_example_once_per_epoch():
    lengths = [i % 13 for i in range(40)]
    stream = batch_stream(lengths, 4, seed=0)
    epoch = [i for _ in range(10) for i in next(stream)]
    assert sorted(epoch) == list(range(40))
    spread = [
        max(lengths[i] for i in b) - min(lengths[i] for i in b)
        for b in (epoch[k : k + 4] for k in range(0, 40, 4))
    ]
    assert sum(spread) < 40  # grouped: batches hold similar lengths


def test_run_cell_writes_metrics_and_reads_them_back(tmp_path, monkeypatch, data_dir):
    monkeypatch.setenv("DISTILL_RUN_ROOT", str(tmp_path))
    cfg = load_config(
        "configs/dss.yaml",
        "smoke",
        {
            "data.dataset": "svamp",
            "method.name": "single_task",
            "train.max_steps": 4,
            "train.eval_every": 2,
            "data.train_limit": 32,
            "data.test_limit": 8,
            "data.valid_limit": 8,
        },
    )
    metrics = run_cell(cfg)
    assert (
        metrics["n_test"] == 8
        and metrics["last_step"] == 4
        and [h["step"] for h in metrics["history"]] == [2, 4]
    )
    # ties go to the later step
    best = max(h["valid"] for h in metrics["history"])
    assert metrics["best_step"] == [h["step"] for h in metrics["history"] if h["valid"] == best][-1]
    cell = cell_dir(cfg)
    rows = [json.loads(line) for line in (cell / "predictions.jsonl").read_text().splitlines()]
    # the stored accuracy is the predictions'
    recomputed = 100.0 * sum(r["correct"] for r in rows) / len(rows)
    assert len(rows) == 8 and metrics["test_at_best"]["primary"] == pytest.approx(recomputed)
    assert cell.parent == tmp_path / "dss" / "smoke" / "cells" / "svamp" / "single_task"
    assert cell.name.startswith("seed0-") and metrics["cell"] == cell_key(cfg)
    files = {p.name for p in cell.iterdir()}
    assert {"metrics.json", "predictions.jsonl", "config.yaml", "versions.json", "best"} <= files
    assert "checkpoint" not in files  # only for resuming an interrupted cell
    assert run_cell(cfg) == metrics  # a finished cell is read back, not retrained


def test_a_finished_cell_leaves_no_model_behind(tmp_path, monkeypatch, data_dir):
    """accelerate's wrappers hold the model and optimizer in reference cycles; a grid of cells in
    one process must not keep every cell's weights until Python's collector happens to run."""
    import gc
    import weakref

    import distill_lib.experiment as experiment

    monkeypatch.setenv("DISTILL_RUN_ROOT", str(tmp_path))
    built = []

    def load_and_watch(*args, **kwargs):
        student = load_student(*args, **kwargs)
        built.append(weakref.ref(next(student.model.parameters())))
        return student

    monkeypatch.setattr(experiment, "load_student", load_and_watch)
    cfg = load_config(
        "configs/dss.yaml",
        "smoke",
        {
            "data.dataset": "svamp",
            "method.name": "dss",
            "train.max_steps": 2,
            "train.eval_every": 2,
            "data.train_limit": 16,
            "data.test_limit": 4,
            "data.valid_limit": 4,
        },
    )
    gc.disable()  # only the cell's own clean-up may free what it built
    try:
        run_cell(cfg)
        assert built and all(ref() is None for ref in built)
    finally:
        gc.enable()
