"""The training, precision and evaluation benchmarks run end to end at a tiny size (--quick, CPU)
and write full records."""

from __future__ import annotations

import json

import pytest

from benchmarks import bench_eval, bench_precision, bench_train
from distill_lib.data.records import resolve_data_dir

pytestmark = pytest.mark.skipif(
    resolve_data_dir(None) is None, reason="needs ../shared/data (CQA + PaLM)"
)

MACHINE_FIELDS = {"platform", "cpus", "load_avg", "device", "packages"}


def test_bench_train_quick(tmp_path):
    out = tmp_path / "train.json"
    bench_train.main(["--quick", "--device", "cpu", "--records", "16", "--out", str(out)])
    record = json.loads(out.read_text())
    assert MACHINE_FIELDS <= set(record["machine"]) and record["mode"] == "quick"
    assert [r["model"] for r in record["results"]] == ["t5", "causal"]
    for result in record["results"]:
        parity = result["loss_parity"]
        assert parity["passed"] and parity["rel_diff"] <= parity["rtol"]
        assert set(parity["baselines_two_passes"]) == {"reference", "padded"}
        # the check can tell the two losses apart
        assert parity["token_mean_rel_diff"] > parity["rtol"]
        for path in ("project", "reference", "padded"):
            figures = result["figures"][path]
            assert (
                figures["tokens_per_s"] > 0
                and figures["examples_per_s"] > 0
                and figures["peak_memory_mb"] > 0
            )
            # batch 4, 2 repetitions of 1 step
            assert sum(run["examples"] for run in figures["runs"]) == 4 * 2
        assert result["reference"]["padded_to"] != result["padded"]["padded_to"]
        assert result["headline_baseline"] == "reference"
        assert result["tokens_per_s_ratio"] == result["ratios"]["reference"]["tokens_per_s"] > 0


def test_bench_precision_quick_times_both_optimizers_on_the_same_gradients(tmp_path):
    out = tmp_path / "precision.json"
    bench_precision.main(
        [
            "--quick",
            "--device",
            "cpu",
            "--records",
            "4",
            "--reps",
            "1",
            "--gen",
            "4",
            "--out",
            str(out),
        ]
    )
    record = json.loads(out.read_text())
    assert MACHINE_FIELDS <= set(record["machine"])
    assert record["train"]["loss_relative_difference"] <= record["train"]["tolerance"]
    optimizer = record["optimizer"]
    assert set(optimizer["step_s"]) == {"fused", "per_parameter"} and optimizer["params"] > 0
    assert all(len(times) == 1 for times in optimizer["step_times_s"].values())
    assert optimizer["max_weight_difference"] <= optimizer["tolerance"]


def test_bench_eval_quick(tmp_path):
    out = tmp_path / "eval.json"
    bench_eval.main(
        ["--quick", "--device", "cpu", "--n", "8", "--baseline-n", "2", "--out", str(out)]
    )
    record = json.loads(out.read_text())
    assert MACHINE_FIELDS <= set(record["machine"])
    assert (
        record["figures"]["project"]["examples"] == 8
        and record["figures"]["baseline"]["batch_size"] == 1
    )
    assert record["figures"]["baseline"]["examples"] == 2
    assert record["examples_per_s_ratio"] > 0
    # fp32 greedy: batching does not change the text (compared by prompt)
    assert record["same_text_share"] >= 0.5


def test_baseline_prompts_spread_over_the_inputs():
    assert bench_eval.spread_index(1000, 4) == [0, 250, 500, 750]
    assert bench_eval.spread_index(3, 5) == [0, 1, 2]


def test_bench_teacher_small(tmp_path):
    from benchmarks import bench_teacher

    out = tmp_path / "teacher.json"
    bench_teacher.main(["--requests", "24", "--latency-ms", "5", "--out", str(out)])
    record = json.loads(out.read_text())
    assert [r["concurrency"] for r in record["runs"]] == [1, 8, 32]
    assert all(r["requests"] == 24 and r["failed"] == 0 for r in record["runs"])
    assert record["cached_rerun"]["requests"] == 0 and record["cached_rerun"]["failed"] == 0
    # 8 in flight beat one at a time, even on a loaded machine
    assert record["runs"][1]["speedup"] > 1
    assert record["floor_overhead_ms_per_request"] > 0 and record["cache_put_ms"] > 0


@pytest.mark.parametrize("kind", ["t5", "causal"])
def test_flop_formula_counts_every_weight_once(tiny_tokenizer, kind):
    """N_in + N_out + the input embedding (when the head is not tied to it) = every parameter of the
    model."""
    from benchmarks import common

    model = common.build_model(kind, "tiny", tiny_tokenizer, "sdpa", 0)
    n_in, n_out = bench_train.param_counts(model, kind == "t5")
    tied = model.get_output_embeddings().weight is model.get_input_embeddings().weight
    embedding = 0 if tied else model.get_input_embeddings().weight.numel()
    assert n_in + n_out + embedding == sum(p.numel() for p in model.parameters())
    assert n_out >= model.get_output_embeddings().weight.numel()


def test_benchmark_inputs_load_without_datasets():
    """The GPU image has no `datasets`: the benchmarks' CQA records must come from plain JSON."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['datasets'] = None\n"
        "from benchmarks import bench_eval, bench_train, common\n"
        "print(len(common.cqa_records('test', None, 3)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "3"


def test_unsupported_attention_falls_back_to_eager_with_the_same_weights(tiny_tokenizer, capsys):
    """The GPU image's older transformers may lack SDPA for T5: the benchmark then runs eager and
    says so."""
    import torch

    from benchmarks import common

    # T5 has no FA2 here
    unsupported = common.build_model("t5", "tiny", tiny_tokenizer, "flash_attention_2", 0)
    eager = common.build_model("t5", "tiny", tiny_tokenizer, "eager", 0)
    assert (
        unsupported.config._attn_implementation == "eager"
        and "using eager" in capsys.readouterr().err
    )
    assert all(
        torch.equal(a, b)
        for a, b in zip(unsupported.state_dict().values(), eager.state_dict().values(), strict=True)
    )


@pytest.fixture
def keep_threads():
    import torch

    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def test_bench_gemm_quick_reports_a_peak_per_dtype(tmp_path, keep_threads):
    from benchmarks import bench_gemm

    record = bench_gemm.main(["--quick", "--threads", "1", "--out", str(tmp_path / "g.json")])
    assert set(record["peak_flops"]) == set(bench_gemm.dtypes(bench_gemm.torch.device("cpu")))
    assert all(v > 0 for v in record["peak_flops"].values()) and record["threads"] == 1
    shape = record["gflops"]["fp32"]["gate/up proj"]
    assert set(shape) == set(bench_gemm.LAYOUTS)


def test_bench_step_quick_times_variants_with_mfu_and_a_profile(tmp_path, keep_threads):
    from benchmarks import bench_step

    out = tmp_path / "step.json"
    record = bench_step.main(["--quick", "--profile", "--out", str(out)])
    assert json.loads(out.read_text())["benchmark"] == "step"
    first, second = record["results"]
    assert first["settings"]["precision"] == "fp32" and second["settings"]["precision"] == "bf16"
    # the token-budget plan cuts the batch and pads less; the loss is the same sum of shares
    assert len(second["micro_batches"]) > 1 and second["positions"] <= first["positions"]
    assert second["first_loss"] == pytest.approx(first["first_loss"], rel=2e-2)
    for r in record["results"]:
        assert r["step_cpu_s"] > 0 and 0 < r["mfu_executed"] and r["mfu_6NT"] > 0
        assert sum(r["profile_shares"].values()) == pytest.approx(1.0)
        assert r["params"]["body"] + r["params"]["head"] == r["params"]["all"]  # tied head


def test_token_budget_plan_keeps_every_row_under_the_budget():
    from benchmarks.step_batch import token_budget

    rows = [{"input_ids": [0] * n} for n in (5, 40, 7, 12, 33, 8, 100)]
    plan = token_budget(rows, 64)
    assert sorted(len(r["input_ids"]) for b in plan for r in b) == [5, 7, 8, 12, 33, 40, 100]
    assert all(len(b) * max(len(r["input_ids"]) for r in b) <= 64 for b in plan[:-1])
    assert plan[-1] == [{"input_ids": [0] * 100}]  # longer than the budget: alone


def test_bench_cell_quick_splits_a_real_cell(tmp_path):
    from benchmarks import bench_cell

    out = tmp_path / "cell.json"
    record = bench_cell.main(["--quick", "--out", str(out)])
    parts = record["cells"][0]["parts"]
    assert parts["training steps"] > 0 and parts["checkpoints"] > 0 and parts["load"] > 0
    assert any(k.startswith("eval: test at last") for k in parts)
    # the same split from metrics alone (a finished cell): the trainer's clock
    metrics = {
        "load_s": 2.0,
        "train_wall_s": 50.0,
        "cell_wall_s": 80.0,
        "passes": [
            {"pass": "valid subset (training)", "examples": 8, "seconds": 4.0},
            {"pass": "valid subset (training)", "examples": 8, "seconds": 5.0},
            {"pass": "test at last", "examples": 8, "seconds": 20.0},
        ],
    }
    split = bench_cell.split(metrics)
    assert split["training (trainer's clock)"] == 46.0 and split["other"] == pytest.approx(3.0)


def test_memory_benchmark_stays_out_of_quick_mode():
    from benchmarks import run_all

    assert run_all.run("memory", True, "auto") == ("skipped", "not in quick mode")
    assert "--quick" not in run_all.command("memory", False, "auto")
