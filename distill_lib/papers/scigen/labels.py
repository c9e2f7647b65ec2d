"""The names SciGen artifacts give their rows, and the label every artifact of a distilled mode
carries when its teacher is not the paper's.

`LOCAL_TEACHER` is that label; `local_teacher(cfg)` says whether the teacher is a small local one:
the model that answered (from the teacher stage's summary) when the stage has run, else the one the
config resolves to (the embedded SmolLM2 for `teacher.base_url: embedded`, or with no base URL and
no API key outside the paper profile, as distill_lib.teacher.server decides), and in both cases any
model other than the paper's gpt-3.5-turbo;
`system_label(method, local, untrained, free_text)` is a results-table row name;
`teacher_label(model, n, local)` the teacher row's. A distilled mode trained on the teacher's free
text (`method.options.reasoning: free_text`, `reads_free_text(cell)`) also carries FREE_TEXT. The
label goes on the distilled rows and the teacher row (their training data or their text came from
that teacher), never on traditional fine-tuning or the untrained student, which no teacher touched.

Deliberately left out: where the labels are written (papers.scigen.report, metrics, teacher,
stages) and the smoke note (distill_lib.plots.results).
"""

from __future__ import annotations

import json
import os

from distill_lib.config import ExperimentConfig
from distill_lib.runs import teacher_dir

LOCAL_TEACHER = (
    "small local teacher (not the paper's gpt-3.5-turbo; a control for the pipeline, not a test "
    "of the paper's claim)"
)
FREE_TEXT = "its reasoning is the teacher's free text, unverified: no answer followed the template"
PAPER_TEACHER = "gpt-3.5-turbo"
DISTILLED = ("scigen_reasoning_input", "scigen_reasoning_output")
SYSTEMS = {
    "scigen_plain": "traditional fine-tuning (table -> description)",
    "scigen_reasoning_input": "distilled: table + teacher reasoning -> description",
    "scigen_reasoning_output": "distilled: table -> reasoning + description",
}
UNTRAINED = "untrained student (step 0, table -> description)"


def answered_by(cfg: ExperimentConfig) -> str | None:
    """The model named in the first teacher-stage summary of cfg's grid, None before the stage."""
    for dataset in cfg.grid.datasets or [cfg.data.dataset]:
        summary = teacher_dir(cfg, dataset) / "teacher_summary.json"
        if summary.exists():
            return str(json.loads(summary.read_text()).get("model", ""))
    return None


def local_teacher(cfg: ExperimentConfig) -> bool:
    """Whether the teacher is (or will be) a small local model rather than the paper's."""
    model = answered_by(cfg)
    if model is not None:
        return PAPER_TEACHER not in model
    teacher = cfg.teacher
    no_key = not os.environ.get(teacher.api_key_env)
    embedded = teacher.base_url == "embedded" or (
        teacher.base_url is None and no_key and cfg.profile != "paper"
    )
    return embedded or PAPER_TEACHER not in teacher.model


def reads_free_text(cell: ExperimentConfig) -> bool:
    """Whether a cell of a distilled mode learns from the teacher's free text."""
    return cell.method.name in DISTILLED and cell.method.options.reasoning == "free_text"


def _notes(method: str, local: bool, free_text: bool) -> list[str]:
    if method not in DISTILLED:
        return []
    return [note for note, due in ((LOCAL_TEACHER, local), (FREE_TEXT, free_text)) if due]


def teacher_note(cfg: ExperimentConfig, method: str) -> str:
    """The label for a cell of `method` under cfg, the cell's config ('' when none is due)."""
    free_text = cfg.method.options.reasoning == "free_text"
    return "; ".join(_notes(method, local_teacher(cfg), free_text))


def system_label(method: str, local: bool, untrained: bool = False, free_text: bool = False) -> str:
    """A results-table row name; a distilled mode with a local teacher carries LOCAL_TEACHER, one
    trained on the teacher's free text FREE_TEXT."""
    if untrained:
        return UNTRAINED
    name, notes = SYSTEMS.get(method, method), _notes(method, local, free_text)
    return f"{name} ({'; '.join(notes)})" if notes else name


def teacher_label(model: str, n: int | None, local: bool, described: int | None = None) -> str:
    """The teacher row's name: the model, the tables it answered (and how many of its answers gave
    a description, when fewer than all), and LOCAL_TEACHER when local."""
    inner = model if n is None else f"{model}, {n} tables"
    if n is not None and described is not None and described < n:
        inner += f", {described} with a description"
    return f"teacher ({inner}; {LOCAL_TEACHER})" if local else f"teacher ({inner})"
