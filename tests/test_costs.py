"""The grid-cost table (distill_lib.plots.costs): measured cell-hours and the 2-core estimates."""

from distill_lib.plots.costs import folder_cost


def _record(seconds: float, machine: dict) -> dict:
    return {"metrics": {"cell_wall_s": seconds}, "machine": machine}


def test_measured_hours_are_summed_and_rescaled_by_kind_and_threads():
    zen4_one_thread = {"cpu": "AMD EPYC", "cpu_native_bf16": True, "torch_threads": 1}
    row = folder_cost([_record(3600, zen4_one_thread), _record(3600, zen4_one_thread)])
    assert row["cells"] == 2 and row["cell-hours"] == 2.0
    assert row["measured on"] == "AVX512-BF16 without AMX, 1 thread(s)"
    # one thread at 0.96 per thread, rescaled to two threads of each kind (eta.THREAD_RATE)
    assert row["expected, 2-core AVX512-BF16 without AMX"] == "1.0 h"
    assert row["expected, 2-core AMX"] == "1.0 h"  # 2 h x 0.96 / 2.0
    assert row["expected, 2-core no native bf16"] == "1.9 h"  # 2 h x 0.96 / 1.0


def test_a_record_without_a_cpu_kind_gives_no_estimate():
    row = folder_cost([_record(1800, {"gpu": "H100", "torch_threads": 16})])
    assert row["cell-hours"] == 0.5 and row["expected, 2-core AMX"] == "n/a"
