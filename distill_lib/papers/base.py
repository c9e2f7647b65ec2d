"""What every paper package gives the shared layers: one small interface, a plain dataclass.

- `methods`: method name -> class (distill_lib.methods.Method contract);
- `load_splits(cfg)`: train / valid / test records (teacher outputs joined when `teacher.source:
  live`), before the shared row limits;
- `score(cfg, records, texts, method, fmt)`: scores of generated texts, at least {'primary', 'n'};
- `teacher_stage(cfg, stage_dir)`: the rationale / teacher-data stage (notebooks 02, 06, 10; `cli
  teacher`), whose output the loaders read;
- `render(frame, out, title, note)`: the results tables and figures from a frame of cells, and the
  README block (None when the paper has no committed-results renderer yet);
- `templates`: dataset -> teacher prompt template (the paper's templates/ folder,
  distill_lib.prompts);
- `summarize(test_records, test_scores)`: what a cell's metrics keep beyond the accuracy (e.g. per
  benchmark);
- `references()`: the paper's reference numbers with their sources, read from
  configs/references/<paper>.yaml.
Typed options live in `distill_lib.papers.<name>.options` (DataOptions, MethodOptions, Extra), found
by the config loader by that module name.

Deliberately left out: any registration machinery; distill_lib.papers.index is a plain dict.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distill_lib.config import ExperimentConfig
from distill_lib.methods import Method

Scorer = Callable[[ExperimentConfig, Sequence[dict], Sequence[str], Method, str], dict[str, Any]]


@dataclass(frozen=True)
class Paper:
    name: str
    methods: Mapping[str, type[Method]]
    load_splits: Callable[[ExperimentConfig], Any]
    score: Scorer
    teacher_stage: Callable[[ExperimentConfig, Path], dict[str, Any]]
    render: Callable[..., str] | None = None
    templates: Mapping[str, str] = field(default_factory=dict)
    # the reference numbers with sources (configs/references/)
    references: Callable[[], Any] | None = None
    summarize: Callable[[list[dict], dict], dict] | None = None  # test scores a result record keeps
    # the files and folders a cell reads (config, data dir): hashed into its key (fingerprint)
    data_sources: Callable[[ExperimentConfig, Path | None], list[Path]] | None = None
