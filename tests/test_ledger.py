"""The claims ledger (distill_lib.plots.ledger): a CI recomputed by hand from committed predictions,
verdicts that follow from their CIs, Holm over the tested rows, and the choice of results folder."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from distill_lib.plots import ledger
from distill_lib.plots.compare import Paired
from distill_lib.plots.ledger import Claim, Side, claim_verdict, ledger_rows
from distill_lib.render import declared_claims
from distill_lib.stats import PairedResult, holm

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def committed_rows() -> list[ledger.Row]:
    return ledger_rows(declared_claims())


def _correct(files: list[Path]) -> tuple[list[list[str]], list[np.ndarray]]:
    records = [json.loads(f.read_text()) for f in files]
    ids = [r["test_examples"]["ids"] for r in records]
    bits = [r["test_examples"]["correct"]["label"] for r in records]
    return ids, [np.frombuffer(b.encode(), dtype=np.uint8) - ord("0") for b in bits]


def test_a_ledger_ci_recomputes_from_the_committed_predictions(committed_rows) -> None:
    """DSS vs standard finetuning on CQA: the records' '0'/'1' strings, paired by id, bootstrapped
    here with plain numpy (the same seed and draw order as distill_lib.stats), one replicate at a
    time."""
    (row,) = [r for r in committed_rows if r.claim.claim == "DSS beats standard finetuning (CQA)"]
    assert row.grid is not None and row.paired.result is not None
    folder = ROOT / row.grid / "cqa"
    ids_a, rows_a = _correct(sorted(folder.glob("standard_ft/seed[0-9]-*.json")))
    ids_b, rows_b = _correct(sorted(folder.glob("dss/seed[0-9]-*.json")))
    shared = [i for i in ids_a[0] if all(i in set(ids) for ids in ids_a + ids_b)]
    a = np.array([r[[ids.index(i) for i in shared]] for ids, r in zip(ids_a, rows_a, strict=True)])
    b = np.array([r[[ids.index(i) for i in shared]] for ids, r in zip(ids_b, rows_b, strict=True)])
    n, replicates = len(shared), 10_000
    rng = np.random.default_rng(0)
    examples = rng.integers(0, n, (replicates, n))
    seeds_a = rng.integers(0, len(a), (replicates, len(a)))
    seeds_b = rng.integers(0, len(b), (replicates, len(b)))
    diffs = np.array(
        [
            100 * (b[np.ix_(sb, ex)].mean() - a[np.ix_(sa, ex)].mean())
            for ex, sa, sb in zip(examples, seeds_a, seeds_b, strict=True)
        ]
    )
    low, high = np.percentile(diffs, [2.5, 97.5])
    result = row.paired.result
    assert (result.examples, result.seeds_a, result.seeds_b) == (n, len(a), len(b))
    assert result.difference == pytest.approx(100 * (b.mean() - a.mean()), abs=1e-9)
    assert (result.low, result.high) == (
        pytest.approx(low, abs=1e-9),
        pytest.approx(high, abs=1e-9),
    )
    assert result.p == pytest.approx(min(1.0, 2 * min((diffs <= 0).mean(), (diffs >= 0).mean())))


def _expected_verdict(result: PairedResult, direction: int) -> str:
    if result.low > 0:
        return "supported" if direction > 0 else "contradicted"
    if result.high < 0:
        return "contradicted" if direction > 0 else "supported"
    return "not resolved"


def test_each_committed_verdict_follows_from_its_ci(committed_rows) -> None:
    tested = [r for r in committed_rows if r.paired.result is not None]
    assert tested, "the committed results test no claim"
    for row in tested:
        expected = _expected_verdict(row.paired.result, row.claim.direction)
        assert row.verdict.startswith(expected), (row.claim.claim, row.verdict)
    for row in committed_rows:
        if row.paired.result is None:
            assert row.verdict == f"not tested: {row.paired.reason}"


def test_holm_runs_over_every_tested_row(committed_rows) -> None:
    tested = [r for r in committed_rows if r.paired.result is not None]
    assert [r.adjusted_p for r in tested] == holm([r.paired.result.p for r in tested])
    assert all(r.adjusted_p is None for r in committed_rows if r.paired.result is None)


@pytest.mark.parametrize(
    ("low", "high", "direction", "said"),
    [
        (0.5, 3.0, 1, "supported"),
        (-3.0, -0.5, 1, "contradicted"),
        (-3.0, -0.5, -1, "supported"),
        (0.5, 3.0, -1, "contradicted"),
        (-1.0, 2.0, 1, "not resolved (the grid can detect about 4.2 points)"),
    ],
)
def test_the_verdict_is_the_cis_side_of_zero(low, high, direction, said) -> None:
    paired = Paired(10.0, 11.0, PairedResult(1.0, low, high, 0.1, 3, 3, 500), 4.2)
    assert claim_verdict(paired, direction) == said


def _record(method: str, correct: str, ids: list[str], seed: int = 0) -> dict:
    return {
        "key": f"{method}/seed{seed}",
        "commit": "abcdef0123456789",
        "metrics": {"method": method, "dataset": "d", "fraction": 1.0, "label_source": "gold"},
        "test_examples": {"ids": ids, "correct": {"label": correct}},
    }


def test_the_first_folder_holding_both_sides_is_read(monkeypatch) -> None:
    """The preference list is walked in order: a folder with one side only is passed over; the pair
    is on the ids both sides share (and say n); missing outcomes give the reason, not a verdict."""
    folders = {
        "new": [_record("base", "1111", ["x1", "x2", "x3", "x4"])],
        "old": [
            _record("base", "0000", ["x1", "x2", "x3", "x4"]),
            _record("other", "111", ["x2", "x3", "x4"]),
            {**_record("bare", "", []), "test_examples": {}},
        ],
    }
    monkeypatch.setattr(ledger, "read_results", lambda paper, profile: folders.get(profile, []))
    claim = Claim("p", "other beats base", "-", Side("base"), Side("other"), ("new", "old"))
    (row,) = ledger_rows([claim])
    assert row.grid == "results/p/old" and row.commits == ["abcdef0"]
    assert row.paired.result.examples == 3 and row.paired.result.difference == 100.0
    assert row.verdict == "supported" and row.adjusted_p == row.paired.result.p
    bare = Claim("p", "bare beats base", "-", Side("base"), Side("bare"), ("old",))
    untestable = Claim("p", "needs a teacher", "-", missing="needs an LLM teacher")
    nowhere = Claim("p", "other beats base", "-", Side("base"), Side("other"), ("gone",))
    rows = ledger_rows([bare, untestable, nowhere])
    assert rows[0].verdict.startswith("not tested: no per-example outcomes in 1 of 2 cells")
    assert rows[1].verdict == "not tested: needs an LLM teacher" and rows[1].grid is None
    assert rows[2].verdict == "not tested: no grid yet"


def test_a_folder_not_tested_on_a_sides_ids_is_passed_over(monkeypatch) -> None:
    """A grid tested on one benchmark holds no side of a claim on another (ids `<benchmark>/...`):
    the next folder that was tested there is read."""
    svamp_only = ["svamp/1", "svamp/2"]
    both = ["svamp/1", "gsm8k/1", "gsm8k/2"]
    folders = {
        "powered": [_record("base", "00", svamp_only), _record("other", "11", svamp_only)],
        "long": [_record("base", "000", both), _record("other", "011", both)],
    }
    monkeypatch.setattr(ledger, "read_results", lambda paper, profile: folders.get(profile, []))
    sides = {
        b: (Side("base", id_prefix=b), Side("other", id_prefix=b)) for b in ("svamp/", "gsm8k/")
    }
    rows = ledger_rows(
        [Claim("p", f"other beats base on {b}", "-", *sides[b], ("powered", "long")) for b in sides]
    )
    assert [r.grid for r in rows] == ["results/p/powered", "results/p/long"]
    assert rows[1].paired.result.examples == 2 and rows[1].paired.result.difference == 100.0


def test_every_paper_declares_its_claims() -> None:
    papers = {c.paper for c in declared_claims()}
    assert papers == {"dss", "math", "scigen"}


def test_a_corpus_bleu_claim_is_tested_from_the_records_per_table_statistics(monkeypatch) -> None:
    """A Side with metric 'bleu' pairs the cells on their shared test ids through the bootstrap
    of corpus BLEU; the difference is the seeds' mean corpus BLEU, b - a, recomputed here."""
    import sacrebleu

    from distill_lib.metrics.text import bleu_example_stats

    refs = [f"the value of row {i} is {i * 3} and it rises" for i in range(30)]
    good = [f"the value of row {i} is {i * 3} and it falls" for i in range(30)]
    poor = [f"row {i} rises" for i in range(30)]
    ids = [f"t{i}" for i in range(30)]

    def record(method: str, preds: list[str], seed: int) -> dict:
        stats = {"label": {"bleu": bleu_example_stats(preds, refs)}}
        base = _record(method, "", ids, seed)
        return {**base, "test_examples": {"ids": ids, "correct": {}, "stats": stats}}

    folder = [record("plain", poor, 0), record("plain", poor, 1), record("reasoned", good, 0)]
    monkeypatch.setattr(ledger, "read_results", lambda paper, profile: folder)
    sides = Side("plain", metric="bleu"), Side("reasoned", metric="bleu")
    (row,) = ledger_rows([Claim("p", "reasoned beats plain", "-", *sides, ("cpu",))])
    expected = sacrebleu.corpus_bleu(good, [refs]).score - sacrebleu.corpus_bleu(poor, [refs]).score
    assert row.paired.result.difference == pytest.approx(expected)
    assert (row.paired.result.seeds_a, row.paired.result.seeds_b) == (2, 1)
    assert row.verdict == "supported" and row.paired.result.examples == 30


def test_the_scigen_paper_claim_stays_untestable_offline_beside_its_cpu_control() -> None:
    rows = [c for c in declared_claims() if c.paper == "scigen"]
    assert rows[0].base is None and rows[0].missing.startswith("not testable offline")
    controls = rows[1:]
    assert [c.other.method for c in controls] == [
        "scigen_reasoning_input",
        "scigen_reasoning_output",
    ]
    for control in controls:
        assert control.claim.startswith("Control, not the paper's claim")
        assert control.other.metric == "bleu" and control.profiles == ("cpu",)
        assert "free text, unverified" in control.note
