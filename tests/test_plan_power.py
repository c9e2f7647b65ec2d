"""scripts/plan_power.py reads each side of a pair in its own format and on the claim's test ids,
and says when no results folder holds both sides instead of printing nothing."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _plan_power():
    spec = importlib.util.spec_from_file_location("plan_power", ROOT / "scripts" / "plan_power.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _record(root: Path, method: str, seed: int, correct: dict[str, str]) -> None:
    ids = ["svamp/1", "gsm8k/1", "svamp/2", "gsm8k/2"]
    path = root / "math" / "cpu-long" / "math-reft" / method / f"seed{seed}-abc.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"test_examples": {"ids": ids, "correct": correct}}))


def test_a_math_side_is_read_in_its_own_thought_on_svamp_ids_only(tmp_path):
    plan = _plan_power()
    _record(tmp_path, "cotd", 0, {"cot": "1100"})
    _record(tmp_path, "potd", 0, {"pot": "0011"})
    cot = plan.outcomes(tmp_path, "math", "math-reft", "cotd", "cot", "svamp/")
    pot = plan.outcomes(tmp_path, "math", "math-reft", "potd", "pot", "svamp/")
    assert [list(a) for a in cot["cpu-long"]] == [[1.0, 0.0]]  # svamp/1 right, svamp/2 wrong
    assert [list(a) for a in pot["cpu-long"]] == [[0.0, 1.0]]
    assert plan.outcomes(tmp_path, "math", "math-reft", "cotd", "pot", "svamp/") == {}
    discordance, _, n = plan.pair_statistics(cot["cpu-long"], pot["cpu-long"])
    assert (discordance, n) == (1.0, 2)


def test_a_pair_without_records_on_both_sides_is_named(tmp_path, monkeypatch, capsys):
    plan = _plan_power()
    _record(tmp_path, "cotd", 0, {"cot": "1100"})
    monkeypatch.setattr("sys.argv", ["plan_power.py", "--root", str(tmp_path)])
    plan.main()
    out = capsys.readouterr().out
    assert (
        "math math-reft svamp potd (pot) vs cotd (cot): no results folder holds both sides" in out
    )
    assert "dss esnli dss (label) vs standard_ft (label): no results folder holds both sides" in out
