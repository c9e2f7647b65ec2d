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
