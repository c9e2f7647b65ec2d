"""The grid ETA uses committed records of the same cell first, then finished cells alike, and says
so."""

from __future__ import annotations

from distill_lib.config import load_config
from distill_lib.eta import cell_seconds, grid_eta
from distill_lib.models.cpu_kinds import THREAD_RATE, cpu_kind, machine_speed
from distill_lib.results import key_prefix
from distill_lib.runs import cell_key


def _cells():
    base = load_config("configs/dss.yaml", "cpu")
    trained = [
        base.replace({"data.dataset": d, "method.name": m})
        for d in ("esnli", "cqa")
        for m in ("dss", "standard_ft")
    ]
    return base, trained, base.replace({"train.max_steps": 0})


def test_estimates_prefer_committed_then_alike_cells():
    base, (esnli_dss, esnli_ft, cqa_dss, cqa_ft), untrained = _cells()
    finished = [
        {"method": "dss", "dataset": "esnli", "cell_wall_s": 400.0, "untrained": False},
        {"method": "standard_ft", "dataset": "esnli", "cell_wall_s": 200.0, "untrained": False},
    ]
    committed = {cell_key(cqa_ft): {"metrics": {"cell_wall_s": 111.0}}}
    assert cell_seconds(cqa_ft, finished, committed) == (111.0, "committed")
    # same method, other dataset
    assert cell_seconds(cqa_dss, finished, committed) == (400.0, "this run")
    # never from trained cells
    assert cell_seconds(untrained, finished, committed) == (None, "none")


def test_eta_line_names_its_source_or_says_unknown():
    base, cells, untrained = _cells()
    finished = [{"method": "dss", "dataset": "esnli", "cell_wall_s": 360.0, "untrained": False}]
    assert grid_eta(cells, finished, []) == "ETA 0.4 h for 4 cell(s), from this run"
    # the untrained cell has no evidence: the rest is a lower bound that says so
    assert grid_eta([*cells, untrained], finished, []) == (
        "ETA at least 0.4 h: 4 of 5 cell(s) estimated from this run; "
        "the other 1 once a cell of their kind finishes"
    )
    assert "known after the first cell" in grid_eta([untrained], finished, [])
    committed = [
        {
            "key": cell_key(untrained),
            "metrics": {"cell_wall_s": 3600.0},
            "machine": {"cpu": "Xeon X"},
        }
    ]
    line = grid_eta([untrained], [], committed)
    assert line == "ETA 1.0 h for 1 cell(s), from the committed results (measured on Xeon X)"
    assert grid_eta([], finished, []) == "nothing to run"


def test_a_committed_record_of_the_same_position_under_other_settings_still_estimates():
    base, (esnli_dss, *_), untrained = _cells()
    other_settings_key = cell_key(esnli_dss).rsplit("-", 1)[0] + "-0123456789"
    committed = [
        {"key": other_settings_key, "metrics": {"cell_wall_s": 720.0}, "machine": {"cpu": "Xeon X"}}
    ]
    assert (
        grid_eta([esnli_dss], [], committed)
        == "ETA 0.2 h for 1 cell(s), from the committed results "
        "(measured on Xeon X)"
    )


def test_a_new_seed_is_estimated_from_committed_cells_of_its_method_and_dataset():
    base, (esnli_dss, *_), untrained = _cells()
    seed0 = {"key": "esnli/dss/seed0-0123456789", "machine": {"cpu": "Xeon X"}}
    seed0["metrics"] = {"method": "dss", "dataset": "esnli", "cell_wall_s": 900.0}
    seed1 = esnli_dss.replace({"train.seed": 1})
    by_key = {seed0["key"]: seed0, "esnli/dss/seed0": seed0}
    assert cell_seconds(seed1, [], by_key) == (900.0, "committed")
    # a cell of this run with the same method and dataset is the better evidence
    finished = [{"method": "dss", "dataset": "esnli", "cell_wall_s": 300.0, "untrained": False}]
    assert cell_seconds(seed1, finished, by_key) == (300.0, "this run")
    assert cell_seconds(untrained, [], by_key) == (None, "none")


def test_committed_estimates_follow_this_runs_pace_against_the_records():
    base, (esnli_dss, esnli_ft, cqa_dss, cqa_ft), untrained = _cells()
    machine = {"cpu": "Xeon X"}
    committed = [
        {
            "key": key_prefix(cell_key(c)) + "-0123456789",
            "metrics": {"cell_wall_s": s},
            "machine": machine,
        }
        for c, s in ((esnli_ft, 1000.0), (esnli_dss, 2000.0), (cqa_dss, 3000.0))
    ]
    before = grid_eta([esnli_dss, cqa_dss], [], committed)
    assert before == "ETA 1.4 h for 2 cell(s), from the committed results (measured on Xeon X)"
    # e-SNLI standard_ft finished here in a quarter of its record's time: the rest is scaled so
    finished = [
        {
            "cell": cell_key(esnli_ft),
            "method": "standard_ft",
            "dataset": "esnli",
            "cell_wall_s": 250.0,
            "untrained": False,
        }
    ]
    assert grid_eta([esnli_dss, cqa_dss], finished, committed) == (
        "ETA 0.3 h for 2 cell(s), from the committed results (measured on Xeon X) scaled by 0.25 "
        "(this run's pace against them over 1 cell(s))"
    )
    # a record of the very same cell says nothing about this run's pace
    same = [{"key": cell_key(esnli_ft), "metrics": {"cell_wall_s": 250.0}, "machine": machine}]
    assert "scaled" not in grid_eta([esnli_dss], finished, [*committed, *same])


AMX_XEON = {"cpu": "Intel(R) Xeon(R) Processor", "cpu_native_bf16": True, "torch_threads": 2}
ZEN4 = {
    "cpu": "AMD EPYC",
    "cpu_native_bf16": True,
    "cpu_avx512_bf16": True,
    "cpu_amx": False,
    "torch_threads": 2,
}


def test_the_cpu_kind_comes_from_the_records_bf16_fields():
    assert cpu_kind(AMX_XEON) == "amx"  # recorded before cpu_amx: an Intel CPU with native bf16
    assert cpu_kind(ZEN4) == "avx512_bf16"
    assert cpu_kind({**ZEN4, "cpu_native_bf16": False}) == "fp32"
    assert cpu_kind({"cpu": "Xeon X"}) is None and cpu_kind({**ZEN4, "gpu": "H100"}) is None
    assert machine_speed({**ZEN4, "torch_threads": 1}) == THREAD_RATE["avx512_bf16"]


def test_committed_estimates_are_scaled_to_this_cpu_until_this_run_has_a_pace():
    base, (esnli_dss, esnli_ft, *_), untrained = _cells()
    committed = [
        {"key": cell_key(c), "metrics": {"cell_wall_s": 3600.0}, "machine": AMX_XEON}
        for c in (esnli_dss, esnli_ft)
    ]
    factor = 2 * THREAD_RATE["amx"] / THREAD_RATE["avx512_bf16"]  # their 2 threads, our 1
    line = grid_eta([esnli_dss], [], committed, here={**ZEN4, "torch_threads": 1})
    assert line == (
        f"ETA {factor:.1f} h for 1 cell(s), from the committed results (measured on "
        f"Intel(R) Xeon(R) Processor) scaled by {factor:.2f} for this CPU (AVX512-BF16 without "
        "AMX, 1 thread(s)) against theirs (AMX, 2 thread(s))"
    )
    no_bf16 = grid_eta([esnli_dss], [], committed, here={**ZEN4, "cpu_native_bf16": False})
    assert f"scaled by {THREAD_RATE['amx'] / THREAD_RATE['fp32']:.2f} for" in no_bf16
    # the same machine, or one expected within 5% of it: nothing to scale
    assert "scaled" not in grid_eta([esnli_dss], [], committed, here=AMX_XEON)
    assert abs(THREAD_RATE["avx512_bf16"] - 1) < 0.05
    assert "scaled" not in grid_eta([esnli_dss], [], committed, here=ZEN4)
    # once a cell of this run has a committed twin, its measured pace replaces the guess
    finished = [{"cell": key_prefix(cell_key(esnli_ft)) + "-0123456789", "cell_wall_s": 1800.0}]
    paced = grid_eta([esnli_dss], finished, committed, here=ZEN4)
    assert "scaled by 0.50 (this run's pace" in paced and "for this CPU" not in paced
