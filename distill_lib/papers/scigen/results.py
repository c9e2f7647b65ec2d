"""The committed SciGen results (results/scigen/<profile>/) as a table, a bar chart and a README or
docs/grids block, for `make figures` (distill_lib.render).

`render_scigen(frame, out, cfg)`: one row per system (the untrained student, each method) with the
test BLEU of the tested weights as mean ± std over seeds, the test METEOR of the same cells from
notebook 12's committed `test-metrics` stage record (`committed_meteor`; n/a, or "k of n cells",
where it has not scored them), the seeds and the test tables, then the teacher row from the teacher
stage's record (its own text per test table, scored the same way), then `examples_block`: the
first test tables with each row's first-seed generation from the committed records.
Row names carry the local-teacher label (papers.scigen.labels) on the distilled rows and the
teacher row; the chart's legend leaves it out and its title carries it.

Deliberately left out: the other metrics of the spec (notebook 12's report in the run folder:
the records keep the checkpoint-selection metric only) and paired comparisons between the systems
(the claims ledger).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from distill_lib.config import ExperimentConfig
from distill_lib.data.records import DataUnavailable
from distill_lib.papers.scigen.examples import committed_examples
from distill_lib.papers.scigen.labels import (
    local_teacher,
    reads_free_text,
    system_label,
    teacher_label,
)
from distill_lib.papers.scigen.stages import label_lines, short_names
from distill_lib.plots.figures import metric_bars, save
from distill_lib.plots.records import UNTRAINED
from distill_lib.plots.results import write_table
from distill_lib.results import read_results, read_stage_results
from distill_lib.runs import grid_cell

COLUMN = "test BLEU"
METEOR = "test METEOR"  # from notebook 12's committed stage record (papers.scigen.report)


def _bleu(values: pd.Series, digits: int = 2) -> str:
    """Mean ± std over seeds (the mean alone for one), `digits` decimals; n/a for none."""
    values = values.dropna()
    if values.empty:
        return "n/a"
    spread = f" ± {values.std():.{digits}f}" if len(values) > 1 else ""
    return f"{values.mean():.{digits}f}{spread}"


def committed_meteor(cfg: ExperimentConfig) -> dict[str, float | None]:
    """Raw METEOR per cell key from the committed `test-metrics` stage record (none before
    notebook 12 ran on a real profile)."""
    record = read_stage_results(cfg.name, cfg.profile).get("test-metrics", {})
    return {c["key"]: c["raw"].get("meteor") for c in record.get("cells", [])}


def _meteor(keys: pd.Series, scored: dict[str, float | None]) -> str:
    """Mean METEOR of the cells notebook 12 scored ('k of n cells' when it has not scored all)."""
    values = pd.Series([scored[k] for k in keys if k in scored], dtype=float)
    if values.empty:
        return "n/a"
    text = _bleu(values, 3) if values.notna().all() else "not computed"  # METEOR's 0-1 scale
    return text if len(values) == len(keys) else f"{text} ({len(values)} of {len(keys)} cells)"


def student_rows(frame: pd.DataFrame, cfg: ExperimentConfig) -> dict[str, dict[str, Any]]:
    """Row name -> test BLEU, seeds and test tables, in the grid's order (untrained first)."""
    local, rows, meteor = local_teacher(cfg), {}, committed_meteor(cfg)
    order = [UNTRAINED, *cfg.grid.methods]
    for method in [m for m in order if m in set(frame["method"])]:
        cells = frame[frame["method"] == method]
        untrained = method == UNTRAINED
        shown = cfg.grid.methods[0] if untrained else method
        cell = grid_cell(cfg, cfg.data.dataset, shown, cfg.train.seed)
        name = system_label(shown, local, untrained, reads_free_text(cell))
        n_test = sorted({int(n) for n in cells["n_test"].dropna()})
        rows[name] = {
            COLUMN: _bleu(cells["test_at_best"]),
            METEOR: _meteor(cells["key"], meteor),
            "seeds": len(cells),
            "test tables": ", ".join(map(str, n_test)),
        }
    return rows


def teacher_rows(cfg: ExperimentConfig) -> dict[str, dict[str, Any]]:
    """The teacher row of each committed teacher stage record that scored one (its METEOR from
    notebook 12's record when the stage could not compute it)."""
    rows, records = {}, read_stage_results(cfg.name, cfg.profile)
    report_teacher = records.get("test-metrics", {}).get("teacher", {})
    for record in records.values():
        stats, local = record.get("stats", {}), "label" in record
        row = stats.get("teacher_row") or {}
        if "raw" not in row:
            continue
        model = Path(str(stats["settings"]["model"])).name
        described = stats.get("test", {}).get("with_description")
        name = teacher_label(model, row["n"], local, described)
        meteor = row["raw"].get("meteor", {}).get("value")
        if meteor is None:  # scored later by notebook 12 (WordNet missing when the stage ran)
            meteor = report_teacher.get("raw", {}).get("meteor")
        rows[name] = {
            COLUMN: _bleu(pd.Series([row["raw"]["bleu"]["value"]])),
            METEOR: "not computed" if meteor is None else f"{meteor:.3f}",
            "seeds": 1,
        }
        rows[name]["test tables"] = str(row["n"])
    return rows


def render_scigen(frame: pd.DataFrame, out: Path, cfg: ExperimentConfig, note: str = "") -> str:
    """Write scigen_results.md/.csv and scigen_bleu.png into `out`; the block for the README."""
    rows = {**student_rows(frame, cfg), **teacher_rows(cfg)}
    table = pd.DataFrame.from_dict(rows, orient="index")
    write_table(table, out / "scigen_results", note)
    means = table[[COLUMN]].map(lambda v: str(v).split(" ± ")[0])
    title = f"{cfg.name} / {cfg.profile}: student {cfg.student.name}, test BLEU"
    chart = metric_bars(short_names(means), title + label_lines(table), note, zoom=True)
    save(chart, out / "scigen_bleu.png")
    caption = (
        f"Test BLEU (sacreBLEU, raw text, gold descriptions) of the tested weights "
        f"(`train.select: {cfg.train.select}`), mean ± std over seeds. Test METEOR (NLTK, WordNet; "
        "raw text, 0–1) from notebook 12's committed report (`stages/test-metrics.json`): n/a "
        "for a cell it has not scored; the other metrics are in that report."
    )
    return f"{table.to_markdown()}\n\n{caption}\n{examples_block(cfg)}"


def examples_block(cfg: ExperimentConfig) -> str:
    """The committed records' generations beside the first test tables (papers.scigen.examples);
    a line saying why when the SciGen data is not here."""
    records = read_results(cfg.name, cfg.profile)
    if not records:
        return ""
    try:
        body = committed_examples(cfg, records)
    except DataUnavailable as err:
        return f"\nExample generations: not shown here ({err}).\n"
    return f"\n#### Example generations (first seed of each row, the first test tables)\n\n{body}"
