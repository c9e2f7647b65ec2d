"""SciGen (table reasoning distillation) options, checked when the config loads."""

from __future__ import annotations

from dataclasses import dataclass, field

from distill_lib.config_values import LATE, ConfigError
from distill_lib.metrics.faithfulness import TAPAS_MODEL, TAPEX_MODEL
from distill_lib.metrics.text import BERTSCORE_PAPER_MODEL

DATASETS = ("scigen",)
METHOD_NAMES = ("scigen_plain", "scigen_reasoning_input", "scigen_reasoning_output")
SIZES = ("few-shot", "medium", "large")
TEST_SPLITS = ("test", "test-CL", "test-Other")
TEACHER_ROWS = ("statements", "description")
REASONING_KINDS = ("triples", "free_text")


@dataclass
class DataOptions:
    # train / dev size: few-shot (shared data), medium or large (hub or local files)
    size: str = "few-shot"
    test_split: str = "test"  # test (CL + Other), test-CL or test-Other

    def check(self) -> None:
        if self.size not in SIZES:
            raise ConfigError(f"data.options.size = {self.size!r}: must be one of {list(SIZES)}")
        if self.test_split not in TEST_SPLITS:
            raise ConfigError(
                f"data.options.test_split = {self.test_split!r}: must be one of {list(TEST_SPLITS)}"
            )


@dataclass
class MethodOptions:
    # keep only the teacher triples its own verification line calls true
    filter_verified: bool = True
    # the reasoning a distilled mode learns from: the teacher's parsed (reasoning, statement)
    # triples (the paper), or its answer as free text, unverified (parsers.free_text_reasoning:
    # for a teacher too small to follow the template; a deviation, labelled on every artifact)
    # (both added after cells had run: LATE keeps those cells' keys, config_values)
    reasoning: str = field(default="triples", metadata=LATE)
    free_text_words: int = field(default=100, metadata=LATE)  # free_text: the words kept

    def check(self) -> None:
        if self.reasoning not in REASONING_KINDS:
            raise ConfigError(
                f"method.options.reasoning = {self.reasoning!r}: must be one of "
                f"{list(REASONING_KINDS)}"
            )
        if self.reasoning == "free_text" and self.filter_verified:
            raise ConfigError(
                "method.options.reasoning = 'free_text' has no verification line to filter on: "
                "set method.options.filter_verified: false"
            )
        if self.free_text_words < 1:
            raise ConfigError(
                f"method.options.free_text_words = {self.free_text_words}: must be at least 1"
            )


@dataclass
class MetricSettings:
    """Settings of papers.scigen.metrics.score_scigen (metrics: None = all)."""

    metrics: list[str] | None = None
    bertscore_model: str = BERTSCORE_PAPER_MODEL
    bertscore_num_layers: int | None = None
    tapas_model: str = TAPAS_MODEL
    tapex_model: str = TAPEX_MODEL
    tapex_paper_compat: bool = False
    batch_size: int = 8
    device: str | None = None


@dataclass
class Extra:
    # scored on dev to pick the checkpoint
    selection_metrics: list[str] = field(default_factory=lambda: ["bleu"])
    # the final evaluation (notebook 12)
    report_metrics: MetricSettings = field(default_factory=MetricSettings)
    # the teacher row's text per test table: its verified statements joined (the spec), or the
    # description it writes before its triples (its own one-shot table-to-text answer)
    teacher_row: str = "statements"
    # test tables the teacher answers for its row (None: teacher.limit), the first of the students'
    teacher_test_limit: int | None = None

    def check(self) -> None:
        if self.teacher_row not in TEACHER_ROWS:
            raise ConfigError(
                f"extra.teacher_row = {self.teacher_row!r}: must be one of {list(TEACHER_ROWS)}"
            )
        if self.teacher_test_limit is not None and self.teacher_test_limit < 1:
            raise ConfigError(
                f"extra.teacher_test_limit = {self.teacher_test_limit}: must be at least 1 or null"
            )
