"""SciGen's `cpu` profile: it loads with the grid the issue asks for, `make reproduce` runs its
notebooks, its teacher stage writes a committed-style record (a fake OpenAI-compatible teacher),
and every distilled row carries the local-teacher label."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from fault_server import FaultServer

from distill_lib.config import load_config
from distill_lib.papers.scigen.labels import FREE_TEXT, LOCAL_TEACHER
from distill_lib.papers.scigen.parsers import parse_triples
from distill_lib.runs import cell_dir, grid_cells, stage_dir

ROOT = Path(__file__).resolve().parent.parent
ANSWER = (
    "Description: The table compares two models; the second is best.\n"
    "It wins on every column.\n"
    "Reasoning 1: Looking at Acc, we find B above A.\n"
    "Statement 1: B beats A on accuracy.\n"
    "Verification 1: The claim is true\n"
    "Reasoning 2: Looking at F1, we find A above B.\n"
    "Statement 2: A beats B on F1.\n"
    "Verification 2: The claim is false"
)


def cpu(**overrides):
    return load_config("configs/scigen.yaml", "cpu", overrides)


def test_cpu_profile_settings():
    cfg = cpu()
    assert (cfg.student.name, cfg.student.kind) == ("pip:smollm2", "causal")
    assert (cfg.data.options.size, cfg.data.options.test_split) == ("few-shot", "test-CL")
    assert cfg.train.select == "last" and cfg.train.precision == "auto"
    assert (cfg.train.global_batch_size, cfg.train.lr) == (16, 1.0e-4)
    assert cfg.eval.num_beams == 1 and cfg.grid.sized_for == "cpu"
    assert cfg.teacher.source == "live" and cfg.teacher.base_url == "embedded"
    assert load_config("configs/scigen.yaml", "paper").eval.num_beams == 5  # beam stays on GPU


def test_cpu_grid_has_the_cells_of_the_issue():
    cells = grid_cells(cpu())
    keys = {(c.method.name, c.train.seed, c.train.max_steps == 0) for c in cells}
    assert keys == {
        ("scigen_plain", 0, True),  # the untrained row
        ("scigen_plain", 0, False),
        ("scigen_plain", 1, False),
        ("scigen_plain", 2, False),
        ("scigen_reasoning_input", 0, False),
        ("scigen_reasoning_output", 0, False),
    }
    reasoning_output = next(c for c in cells if c.method.name == "scigen_reasoning_output")
    assert reasoning_output.student.max_target_tokens > cpu().student.max_target_tokens


def test_reproduce_runs_the_scigen_notebooks_on_the_cpu_profile():
    spec = importlib.util.spec_from_file_location("reproduce", ROOT / "scripts" / "reproduce.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    notebooks = sorted((ROOT / "notebooks").glob("1[0-3]_scigen_*.ipynb"))
    assert len(notebooks) == 4
    for notebook in notebooks:
        config = module.notebook_config(notebook)
        assert module.skip_reason(config, "cpu") == ""
        assert "no profile 'sweep'" in module.skip_reason(config, "sweep")


def test_the_teachers_description_is_parsed_beside_its_triples():
    parsed = parse_triples(ANSWER)
    assert parsed.fields["description"] == (
        "The table compares two models; the second is best. It wins on every column."
    )
    assert [t["verified"] for t in parsed.fields["triples"]] == [True, False]
    assert parse_triples("Statement 1: x").fields["description"] == ""


@pytest.fixture
def roots(tmp_path, monkeypatch):
    monkeypatch.setenv("DISTILL_RUN_ROOT", str(tmp_path / "runs"))
    monkeypatch.setenv("DISTILL_RESULTS_ROOT", str(tmp_path / "results"))
    return tmp_path


def fake_teacher_overrides(server: FaultServer, tmp_path: Path) -> dict:
    return {
        "teacher.base_url": server.base_url,
        "teacher.model": "local-m",
        "teacher.limit": 3,
        "teacher.cache_dir": str(tmp_path / "cache"),
        "teacher.timeout_s": 30,
        "extra.teacher_test_limit": 2,
        "data.test_limit": 4,
    }


def fake_teacher_cfg(server: FaultServer, tmp_path: Path):
    return cpu(**fake_teacher_overrides(server, tmp_path))


def test_teacher_stage_writes_its_record_and_a_rerun_sends_nothing(data_dir, roots):
    from distill_lib.papers.scigen.paper import teacher_stage

    with FaultServer(reply=lambda prompt: ANSWER) as server:
        cfg = fake_teacher_cfg(server, roots)
        teacher_stage(cfg, stage_dir(cfg, "teacher"))
        sent = sum(server.successes.values())
        reports = teacher_stage(cfg, stage_dir(cfg, "teacher"))
        assert sum(server.successes.values()) == sent == 5  # 3 train + 2 test tables, once
    assert reports["scigen"]["requests_made"] == 0 and reports["scigen"]["cached"] == 3
    record = json.loads((roots / "results/scigen/cpu/stages/teacher-scigen.json").read_text())
    stats = record["stats"]
    assert record["label"] == LOCAL_TEACHER and stats["settings"]["model"] == "local-m"
    assert stats["settings"]["teacher_row"] == "description"
    assert stats["train"]["tables"] == 3 and stats["test"]["tables"] == 2
    assert stats["train"]["triples"] == 6 and stats["train"]["verified_triples"] == 3
    assert stats["train"]["with_kept_triples"] == 3 and stats["train"]["yield"] == 1.0
    assert stats["test"]["with_description"] == 2
    assert stats["teacher_row"]["n"] == 2 and stats["teacher_row"]["raw"]["bleu"]["value"] >= 0
    assert {"config", "versions", "commit"} <= set(record)
    render_with_the_teacher_row(cfg, roots / "figures")


def test_the_teacher_command_runs_the_stage_of_a_config_and_profile(data_dir, roots):
    """`distill teacher` (papers.index.run_teacher_for): the profile's stage, with the overrides,
    where the profile's cells read it."""
    from distill_lib.papers.index import run_teacher_for

    with FaultServer(reply=lambda prompt: ANSWER) as server:
        overrides = fake_teacher_overrides(server, roots)
        run_teacher_for("configs/scigen.yaml", "cpu", overrides)
        assert sum(server.successes.values()) == 5  # 3 train + 2 test tables
    record = json.loads((roots / "results/scigen/cpu/stages/teacher-scigen.json").read_text())
    assert record["stats"]["settings"]["model"] == "local-m"
    assert stage_dir(cpu(**overrides), "teacher").is_dir()


def test_a_fresh_clone_reads_the_committed_teacher_answers_instead_of_asking(
    data_dir, roots, monkeypatch
):
    """The stage commits its answers beside its record (teacher.bundle); a run with an empty cache
    and an empty run root (another machine, a fresh clone) asks the teacher for nothing."""
    import gzip
    import shutil

    from distill_lib.papers.scigen.paper import BUNDLE, teacher_stage

    with FaultServer(reply=lambda prompt: ANSWER) as server:
        cfg = fake_teacher_cfg(server, roots)
        teacher_stage(cfg, stage_dir(cfg, "teacher"))
        bundle = roots / "results/scigen/cpu/stages" / BUNDLE
        with gzip.open(bundle, "rt") as lines:
            assert len(lines.readlines()) == 5  # 3 train + 2 test tables
        shutil.rmtree(roots / "cache")
        monkeypatch.setenv("DISTILL_RUN_ROOT", str(roots / "elsewhere"))
        sent = sum(server.successes.values())
        reports = teacher_stage(cfg, stage_dir(cfg, "teacher"))
        assert sum(server.successes.values()) == sent
    assert reports["scigen"]["requests_made"] == 0 and reports["scigen"]["cached"] == 3


def render_with_the_teacher_row(cfg, out: Path) -> None:
    """`make figures` on the cpu grid's records: the label on the distilled and teacher rows."""
    import pandas as pd

    from distill_lib.papers.scigen.results import render_scigen

    cells = [("untrained", 0), *((("scigen_plain", s)) for s in (0, 1, 2))]
    cells += [("scigen_reasoning_input", 0), ("scigen_reasoning_output", 0)]
    frame = pd.DataFrame(
        [
            {"method": m, "seed": s, "test_at_best": 1.0 + s, "n_test": 4, "key": f"{m}{s}"}
            for m, s in cells
        ]
    )
    block = render_scigen(frame, out, cfg)
    rows = [line for line in block.splitlines() if line.startswith("| ") and "BLEU" not in line]
    assert [LOCAL_TEACHER in row for row in rows] == [False, False, True, True, True]
    assert "2.00 ± 1.00" in rows[1] and rows[-1].startswith("| teacher (local-m, 2 tables")
    assert (out / "scigen_bleu.png").exists() and (out / "scigen_results.md").exists()


def write_predictions(cell, records: list[dict]) -> None:
    folder = cell_dir(cell)
    folder.mkdir(parents=True, exist_ok=True)
    rows = [
        {"id": r["id"], "format": "label", "prediction": r["label"], "label": r["label"]}
        for r in records
    ]
    (folder / "predictions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_distilled_rows_and_the_teacher_row_carry_the_label(data_dir, roots):
    from distill_lib.papers.scigen.report import evaluate_scigen, report_table, test_records

    cfg = cpu(**{"data.test_limit": 2})
    records = list(test_records(cfg, "scigen").values())
    for cell in grid_cells(cfg)[:3]:  # the untrained row, plain seed 0, reasoning input seed 0
        write_predictions(cell, records)
    report = evaluate_scigen(cfg, {"metrics": ["bleu"]})
    assert len(report["systems"]) == 3 and len(report["missing"]) == 3
    assert "last step" in report["checkpoint"]
    labelled = {s["method"]: s.get("teacher_note", "") for s in report["systems"]}
    assert labelled["scigen_reasoning_input"] == f"{LOCAL_TEACHER}; {FREE_TEXT}"
    assert labelled["scigen_plain"] == ""
    rows = list(report_table(report).index)
    assert [LOCAL_TEACHER in row for row in rows] == [False, False, True, True]
    assert [FREE_TEXT in row for row in rows] == [False, False, True, False]
    assert rows[0].startswith("untrained student") and rows[-1].startswith("teacher (embedded")


def test_a_distilled_cells_scores_and_record_carry_the_label(data_dir):
    from distill_lib.papers.index import build_method
    from distill_lib.papers.scigen.metrics import score
    from distill_lib.papers.scigen.report import test_records

    cfg = cpu(**{"data.test_limit": 2})
    records = list(test_records(cfg, "scigen").values())
    for method, labelled in (("scigen_reasoning_output", True), ("scigen_plain", False)):
        cell = cfg.replace({"method.name": method})
        texts = [f"Description: {r['label']}" for r in records]
        scores = score(cell, records, texts, build_method(cell.method), "label")
        assert scores["n"] == 2 and (scores.get("teacher_note") == LOCAL_TEACHER) == labelled
    paper = load_config("configs/scigen.yaml", "paper").replace(
        {"method.name": "scigen_reasoning_input"}
    )
    assert "teacher_note" not in score(paper, records, ["x", "y"], build_method(paper.method), "")


def test_sizing_counts_what_the_limits_cut_and_the_cost_adds_up(data_dir, tiny_tokenizer):
    import copy

    from distill_lib.papers.scigen.cost import Rates, cost_rows, grid_tokens
    from distill_lib.papers.scigen.sizing import length_rows, split_lengths

    tokenizer = copy.deepcopy(tiny_tokenizer)
    tokenizer.chat_template = "{% for m in messages %}{{ m['content'] }}{% endfor %}"
    cfg = cpu()
    lengths = split_lengths(cfg, tokenizer)
    rows = {(r["split"], r["kind"]): r for r in length_rows(cfg, lengths)}
    assert rows[("test-CL", "inputs")]["n"] == 492 and rows[("test-Other", "targets")]["n"] == 546
    over = rows[("train", "inputs")]["over student.max_input_tokens (1024)"]
    assert over == int((lengths["train"]["inputs"] > 1024).sum())
    tokens = grid_tokens(cfg, tokenizer, lengths, None)
    assert len(tokens["cells"]) == 6 and tokens["teacher"]["tables"] == 199 + 40
    untrained = tokens["cells"][0]
    assert untrained["train_tokens"] == 0 and untrained["decode_tokens"] == 182 * 256
    hours = cost_rows(tokens, Rates())
    assert hours[-1]["h"] == pytest.approx(sum(r["h"] for r in hours[:-1]), abs=0.02)
    assert cost_rows(tokens, Rates().without_bf16())[-1]["h"] > hours[-1]["h"]


def test_a_cells_record_keeps_each_tables_bleu_statistics(data_dir):
    """The scorer's per-table BLEU statistics reach the record's test_examples (the ledger's paired
    bootstrap sums them) and sum to the cell's corpus BLEU; metrics.json does not carry them."""
    from distill_lib.cell_scores import per_example, strip_lists
    from distill_lib.metrics.text import bleu_from_stats
    from distill_lib.papers.index import build_method
    from distill_lib.papers.scigen.metrics import score
    from distill_lib.papers.scigen.report import test_records

    cfg = cpu(**{"data.test_limit": 3, "method.name": "scigen_plain"})
    records = list(test_records(cfg, "scigen").values())
    texts = [records[0]["label"], "", "the results are shown in the table"]
    scores = score(cfg, records, texts, build_method(cfg.method), "label")
    kept = per_example(records, {"label": scores})["stats"]["label"]["bleu"]
    assert len(kept) == 3
    total = [sum(column) for column in zip(*kept, strict=True)]
    assert bleu_from_stats([total])[0] == pytest.approx(scores["primary"], abs=1e-9)
    assert "example_stats" not in strip_lists({"label": scores})["label"]


def test_the_teacher_row_says_how_many_answers_gave_a_description():
    from distill_lib.papers.scigen.labels import teacher_label

    assert teacher_label("smollm2", 40, False, described=0) == (
        "teacher (smollm2, 40 tables, 0 with a description)"
    )
    assert teacher_label("smollm2", 40, False, described=40) == "teacher (smollm2, 40 tables)"
    assert LOCAL_TEACHER in teacher_label("smollm2", 40, True, described=3)
