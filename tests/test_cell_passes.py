"""What a cell spends its time on: the micro-batch size changes nothing, the schedule is the one
asked for, `select: last` tests the final weights only, each format decodes within its budget, a
tuning cell never looks at test, and the cell records each evaluation pass it ran."""

from __future__ import annotations

import pytest
import torch

from distill_lib.config import load_config
from distill_lib.config_sections import EvalConfig, MethodConfig, TrainConfig
from distill_lib.evaluate.budget import MARGIN_MIN, generation_budgets
from distill_lib.evaluate.generate import generate_texts
from distill_lib.experiment import run_cell
from distill_lib.methods import Row
from distill_lib.models.loading import Student
from distill_lib.models.tiny import tiny_causal
from distill_lib.papers.index import build_method
from distill_lib.runs import grid_cells
from distill_lib.train.batching import encode_row
from distill_lib.train.loop import build_optimizer, build_scheduler, train

RECORDS = [
    {
        "input": f"what is {i} plus {i}",
        "input_b": "",
        "label": f"{2 * i}",
        "llm_label": f"{2 * i}",
        "rationale": f"{i} and {i} make {2 * i} so the answer is {2 * i}",
    }
    for i in range(24)
]


def _train(tokenizer, tmp_path, **kw):
    method = build_method(MethodConfig(name="dss"))
    features = [[encode_row(r, tokenizer, False, 32, 24) for r in method.rows(x)] for x in RECORDS]
    scores = iter([0.9, 0.1, 0.5, 0.2])
    cfg = dict(lr=3e-3, global_batch_size=8, max_steps=4, eval_every=1, log_every=1, seed=0)
    torch.manual_seed(0)
    return train(
        tiny_causal(tokenizer),
        tokenizer,
        False,
        features,
        method.weights,
        lambda m: next(scores),
        TrainConfig(**{**cfg, **kw}),
        tmp_path,
    )


def test_micro_batch_size_changes_nothing_but_rounding(tiny_tokenizer, tmp_path, monkeypatch):
    """Same batches, same loss, same gradients: with plain SGD (AdamW's first steps turn rounding
    noise in near-zero gradients into full-size updates) the weights agree after two steps."""
    monkeypatch.setattr(
        "distill_lib.train.loop.build_optimizer",
        lambda model, cfg: torch.optim.SGD(model.parameters(), lr=cfg.lr),
    )
    settings = {"lr": 0.1, "max_steps": 2, "precision": "fp32"}  # bf16 rounds at 1e-3
    whole, a_state = _train(tiny_tokenizer, tmp_path / "a", per_device_batch_size=8, **settings)
    quarters, b_state = _train(tiny_tokenizer, tmp_path / "b", per_device_batch_size=2, **settings)
    a_loss, b_loss = [x["loss"] for x in a_state.losses], [x["loss"] for x in b_state.losses]
    assert a_loss[0] == pytest.approx(b_loss[0], rel=1e-6) and a_loss[-1] < a_loss[0]
    assert a_loss == pytest.approx(b_loss, rel=1e-4)
    for a, b in zip(whole.state_dict().values(), quarters.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)


def test_the_heap_is_trimmed_after_micro_batches_above_the_limit_and_every_step(
    tiny_tokenizer, tmp_path, monkeypatch
):
    """A step's forwards have other shapes; glibc's kept pages are handed back after each backward
    (else a step's RSS grows by each micro-batch) while the process is above
    train.heap_trim_above_gb (0: always), after every optimizer step, and once more when the
    optimizer's state goes after the last step."""
    from distill_lib.train import heap, loop

    calls, forwards = [], []
    forward_loss = loop.forward_loss
    monkeypatch.setattr(loop, "trim_heap", lambda: calls.append("step"))
    monkeypatch.setattr(heap, "trim_heap", lambda: calls.append("micro"))
    monkeypatch.setattr(
        loop, "forward_loss", lambda *a, **k: forwards.append(1) or forward_loss(*a, **k)
    )
    _, state = _train(tiny_tokenizer, tmp_path / "a", per_device_batch_size=2, max_steps=2)
    assert state.step == 2 and len(forwards) >= 2 * 4  # 8 records a step, 2 a micro-batch
    assert calls.count("micro") == len(forwards) and calls.count("step") == state.step + 1
    calls.clear()
    settings = {"per_device_batch_size": 2, "max_steps": 2}
    _train(tiny_tokenizer, tmp_path / "b", heap_trim_above_gb=1e6, **settings)  # never above
    assert calls == ["step", "step", "step"]
    calls.clear()
    _train(tiny_tokenizer, tmp_path / "c", heap_trim_above_gb=1e-3, **settings)  # always above
    assert calls.count("micro") >= 2 * 4


def test_select_last_tests_the_final_weights_and_saves_no_best(tiny_tokenizer, tmp_path):
    _, state = _train(tiny_tokenizer, tmp_path, per_device_batch_size=8, select="last")
    assert state.best_step == state.step == 4 and state.best_score == 0.2
    assert not (tmp_path / "best").exists()
    _, best = _train(tiny_tokenizer, tmp_path / "best_run", per_device_batch_size=8)
    assert best.best_step == 1  # the 0.9 at step 1


@pytest.mark.parametrize("schedule", ["linear", "cosine", "constant"])
def test_schedules_warm_up_then_follow_their_shape(schedule):
    model = torch.nn.Linear(2, 2)
    cfg = TrainConfig(lr=1.0, max_steps=20, warmup_ratio=0.1, schedule=schedule)
    optimizer = build_optimizer(model, cfg)
    scheduler = build_scheduler(optimizer, cfg)
    lrs = []
    for _ in range(cfg.max_steps):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert lrs[0] == 0.0 and lrs[1] == 0.5 and lrs[2] == 1.0  # two warmup steps
    middle = {"linear": 1.0 - 9 / 18, "cosine": 0.5, "constant": 1.0}[schedule]
    assert lrs[11] == pytest.approx(middle)


def test_budget_is_the_longest_target_plus_margin_and_never_above_the_ceiling(tiny_tokenizer):
    method = build_method(MethodConfig(name="dss"))
    budgets = generation_budgets(method, RECORDS, tiny_tokenizer, ceiling=64)
    longest = max(
        len(tiny_tokenizer(r["label"], add_special_tokens=False)["input_ids"]) for r in RECORDS
    )
    assert budgets == {"label": longest + 1 + MARGIN_MIN}
    assert generation_budgets(method, RECORDS, tiny_tokenizer, ceiling=3) == {"label": 3}


def test_a_budget_cuts_greedy_output_to_a_prefix(tiny_tokenizer):
    """Greedy decoding under a smaller budget gives the first tokens of the unbounded output: a row
    that stops within its budget is unchanged."""
    torch.manual_seed(0)
    student = Student(tiny_causal(tiny_tokenizer), tiny_tokenizer, False, "tiny")
    prompts = [Row(f"what is {i} plus {i}", "") for i in range(6)]
    long = generate_texts(student, prompts, EvalConfig(max_new_tokens=24), 32, progress=False)
    short = generate_texts(student, prompts, EvalConfig(max_new_tokens=6), 32, progress=False)
    for full, cut in zip(long, short, strict=True):
        assert full.startswith(cut.strip())


def _smoke_cell(tmp_path, monkeypatch, **overrides):
    monkeypatch.setenv("DISTILL_RUN_ROOT", str(tmp_path))
    settings = {
        "data.dataset": "svamp",
        "method.name": "dss",
        "train.max_steps": 4,
        "train.eval_every": 2,
        "data.train_limit": 32,
        "data.test_limit": 8,
        "data.valid_limit": 8,
        "train.eval_subset": 8,
        **overrides,
    }
    return load_config("configs/dss.yaml", "smoke", settings)


def test_select_last_runs_one_test_pass_and_reuses_the_last_validation(
    tmp_path, monkeypatch, data_dir
):
    metrics = run_cell(_smoke_cell(tmp_path, monkeypatch, **{"train.select": "last"}))
    passes = [p["pass"] for p in metrics["passes"]]
    assert passes == ["valid subset (training)"] * 2 + ["test at last"]
    assert metrics["selection"] == "last" and metrics["best_step"] == metrics["last_step"] == 4
    assert metrics["valid_at_best"]["primary"] == metrics["history"][-1]["valid"]
    assert metrics["test_at_best"] == metrics["test_at_last"]
    assert set(metrics["generation_budgets"]) == {"label"}


def test_a_tuning_cell_never_looks_at_test(tmp_path, monkeypatch, data_dir):
    cfg = _smoke_cell(tmp_path, monkeypatch, **{"train.select": "last", "data.test_limit": 0})
    metrics = run_cell(cfg)
    assert metrics["n_test"] == 0 and metrics["test_at_best"] == {} == metrics["test_at_last"]
    assert all(not p["pass"].startswith("test") for p in metrics["passes"])


def test_a_sweep_crosses_every_cell_with_the_swept_settings(tmp_path, monkeypatch):
    cfg = _smoke_cell(tmp_path, monkeypatch).replace(
        {
            "grid.datasets": ["svamp"],
            "grid.methods": ["dss", "standard_ft"],
            "grid.fractions": [],
            "grid.students": [],
            "grid.unlabelled_methods": [],
            "grid.sweep": {"train.lr": [1e-4, 1e-3], "train.schedule": ["linear", "cosine"]},
        }
    )
    cells = grid_cells(cfg)
    assert len(cells) == 8 and len({c.get("train.lr") for c in cells}) == 2
    keys = {c.get("method.name") + str(c.get("train.lr")) + c.get("train.schedule") for c in cells}
    assert len(keys) == 8


def test_multiple_choice_test_passes_also_rank_the_choices(tmp_path, monkeypatch, data_dir):
    settings = {"data.dataset": "cqa", "train.select": "last", "eval.rank_choices": True}
    metrics = run_cell(_smoke_cell(tmp_path, monkeypatch, **settings))
    ranked = metrics["test_at_best"]["choice_loglik"]
    assert ranked["n"] == metrics["n_test"] == 8 and 0 <= ranked["accuracy"] <= 100
    assert metrics["test_at_best"]["primary"] == metrics["test_at_best"]["label"]["primary"]
    passes = [p["pass"] for p in metrics["passes"]]
    assert "choice_loglik" not in metrics["valid_at_best"] and passes[-1] == "test at last"


def test_each_method_gets_its_own_settings(tmp_path, monkeypatch):
    cfg = _smoke_cell(tmp_path, monkeypatch).replace(
        {
            "grid.datasets": ["svamp"],
            "grid.methods": ["dss", "standard_ft"],
            "grid.fractions": [],
            "grid.students": [],
            "grid.unlabelled_methods": [],
            "grid.method_overrides": {"dss": {"train.lr": 3e-4, "train.schedule": "cosine"}},
        }
    )
    lrs = {c.method.name: (c.train.lr, c.train.schedule) for c in grid_cells(cfg)}
    assert lrs == {"dss": (3e-4, "cosine"), "standard_ft": (cfg.train.lr, "linear")}


def test_a_sweep_recipe_moves_its_settings_together(tmp_path, monkeypatch):
    recipes = [
        {"train.schedule": "linear", "train.warmup_ratio": 0.0},
        {"train.schedule": "cosine", "train.warmup_ratio": 0.1},
    ]
    cfg = _smoke_cell(tmp_path, monkeypatch).replace(
        {
            "grid.datasets": ["svamp"],
            "grid.methods": ["dss"],
            "grid.fractions": [],
            "grid.students": [],
            "grid.unlabelled_methods": [],
            "grid.sweep": {"train.lr": [1e-4, 1e-3]},
            "grid.sweep_recipes": recipes,
        }
    )
    seen = {(c.train.lr, c.train.schedule, c.train.warmup_ratio) for c in grid_cells(cfg)}
    assert seen == {
        (lr, r["train.schedule"], r["train.warmup_ratio"]) for lr in (1e-4, 1e-3) for r in recipes
    }


def test_length_groups_keep_every_row_once_and_split_where_rows_halve():
    from distill_lib.train.batching import length_groups

    rows = [
        {"input_ids": [0] * n, "labels": [0] * 2, "id": i}
        for i, n in enumerate([98, 10, 48, 60, 12, 30])
    ]
    groups = length_groups(rows)
    sizes = [[len(r["input_ids"]) + 2 for r in g] for g in groups]
    assert sizes == [[100, 62, 50], [32], [14, 12]]
    assert sorted(r["id"] for g in groups for r in g) == list(range(6))


def test_a_tuning_cell_logs_its_validation_score_and_no_test():
    from distill_lib.grid import cell_scores

    tuning = {"valid_at_best": {"primary": 61.5}, "best_step": 48, "test_at_best": {}}
    assert cell_scores(tuning) == " valid 61.50 (step 48)"
    tested = {**tuning, "test_at_best": {"primary": 50.0}, "test_at_last": {"primary": 49.0}}
    assert cell_scores(tested).endswith("test@best 50.00, test@last 49.00")


def test_a_position_cap_bounds_every_forward_pass():
    from distill_lib.train.batching import length_groups

    rows = [{"input_ids": [0] * 100, "labels": [0] * 4, "id": i} for i in range(10)]
    groups = length_groups(rows, max_positions=300)
    assert [len(g) for g in groups] == [3, 3, 3, 1]
    assert all(len(g) * max(len(r["input_ids"]) for r in g) <= 300 for g in groups)
    assert [len(g) for g in length_groups(rows)] == [10]  # no cap: one group
