"""The sections of an experiment config (data, student, method, train, eval, teacher, grid): typed
dataclasses whose defaults are the smallest runnable settings; each field's range lives in
distill_lib.config_values.

Deliberately left out: loading, merging and checking YAML (distill_lib.config) and the papers'
own options (distill_lib.papers.<name>.options).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from distill_lib.config_values import LATE


@dataclass
class DataConfig:
    dataset: str = ""  # set by the experiment file (a paper's dataset or training pool)
    # None: ../shared/data beside the project when present, else the HF Hub
    data_dir: str | None = None
    train_limit: int | None = None  # keep the first N training records (after split construction)
    valid_limit: int | None = None
    test_limit: int | None = None  # 0: no test pass at all (a tuning cell, scored on validation)
    train_fraction: float = 1.0  # data-efficiency subsampling (DSS: before the validation hold-out)
    # the paper's DataOptions (distill_lib.papers.<name>.options)
    options: Any = field(default_factory=dict)


@dataclass
class StudentConfig:
    # hub id, local dir, "pip:smollm2", "pip:gemma3-270m", "tiny-t5", "tiny-causal"
    name: str = "tiny-t5"
    kind: str = "auto"  # auto | seq2seq | causal
    max_input_tokens: int = 1024
    max_target_tokens: int = 256
    # where pip-shipped GGUF models are converted to safetensors once
    cache_dir: str = "cache/models"


@dataclass
class MethodConfig:
    name: str = ""  # a method of the experiment's paper (distill_lib.papers.<paper>.methods)
    alpha: float = 0.5  # DSS: alpha * L_label + (1 - alpha) * L_rationale
    label_source: str = "gold"  # gold | llm
    label_prefix: str = "predict: "
    rationale_prefix: str = "explain: "
    options: Any = field(default_factory=dict)  # the paper's MethodOptions


@dataclass
class TrainConfig:
    seed: int = 0
    lr: float = 5e-5
    global_batch_size: int = 64
    per_device_batch_size: int = 64  # gradient accumulation fills the gap to the global batch
    # > 0: no forward pass holds more than this many padded input positions (a micro-batch's rows,
    # sorted by length, cut there: batching.length_groups); the loss is the same, memory bounded
    micro_batch_tokens: int = 0
    # after each micro-batch's backward, glibc's kept heap goes back to the system when the
    # process's RSS is above this many GB (0: after every micro-batch); after every optimizer step
    # always (train.heap: each trim costs the page faults of what it returned)
    heap_trim_above_gb: float = 0.0
    max_steps: int = 10_000
    warmup_ratio: float = 0.0
    schedule: str = "linear"  # linear | cosine | constant: the lr after warmup
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    # auto (bf16 where native: GPU, CPU with AVX512-BF16/AMX; else fp32) | bf16 | fp32
    precision: str = "auto"
    eval_every: int = 250
    eval_subset: int = 500  # fixed validation subset used during training
    # best: also test the weights of the best validation step (ties go to the later step); last:
    # test the final weights only (validation is scored, never used to pick; the cpu profiles)
    select: str = "best"
    log_every: int = 50
    group_by_length: bool = True
    compile: bool = False
    save_checkpoints: bool = True


@dataclass
class EvalConfig:
    batch_size: int = 64
    max_new_tokens: int = 64  # a ceiling: each format's budget comes from its training targets
    num_beams: int = 1
    length_penalty: float = 1.0
    no_repeat_ngram_size: int = 0
    # multiple-choice test records also scored by choice log-likelihood (evaluate.choices)
    rank_choices: bool = False
    # each prompt run once for all its choices (a causal student): about 2-3x faster, the same sums
    # up to rounding; added after cells had run, so it enters a cell's identity only when true
    rank_shared_prefix: bool = field(default=False, metadata=LATE)


@dataclass
class TeacherConfig:
    source: str = "released"  # released | live
    model: str = "gpt-4o-mini"
    # None: OpenAI; "embedded": start `transformers serve` with SmolLM2 locally
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    chat: bool = True
    temperature: float = 0.0
    max_tokens: int = 256
    stop: list[str] = field(default_factory=list)
    n: int = 1
    concurrency: int = 8
    timeout_s: float = 60.0
    max_retries: int = 5
    template: str = ""  # prompt template name (distill_lib.prompts)
    limit: int | None = None  # number of examples sent to the teacher
    # longer prompts are not sent (counted, reported with their size)
    max_prompt_tokens: int | None = None
    cache_dir: str = "cache/teacher"
    prices: dict[str, Any] = field(default_factory=dict)  # overrides of the built-in price table


@dataclass
class GridConfig:
    datasets: list[str] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    seeds: list[int] = field(default_factory=lambda: [0])
    fractions: list[float] = field(default_factory=list)  # data-efficiency curve (empty: no curve)
    fraction_methods: list[str] = field(default_factory=list)
    fraction_datasets: list[str] = field(default_factory=list)
    # more seeds for some methods on some datasets
    extra_seeds: list[int] = field(default_factory=list)
    extra_seed_methods: list[str] = field(default_factory=list)
    extra_seed_datasets: list[str] = field(default_factory=list)
    # one untrained (step 0) cell per dataset, with the first method's prompt
    untrained: bool = False
    untrained_overrides: dict[str, Any] = field(default_factory=dict)  # dotted keys for those cells
    # the model-size axis: other students (student.name values)
    students: list[str] = field(default_factory=list)
    student_datasets: list[str] = field(default_factory=list)
    student_methods: list[str] = field(default_factory=list)
    # trained on the teacher's labels, over fractions
    unlabelled_methods: list[str] = field(default_factory=list)
    unlabelled_datasets: list[str] = field(default_factory=list)
    # a tuning sweep: dotted setting -> values; every cell above is run for each combination
    sweep: dict[str, list[Any]] = field(default_factory=dict)
    # per method, dotted settings its cells use (e.g. the learning rate a sweep chose for it)
    method_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    # a sweep profile whose choice every method of this grid must take (set in method_overrides):
    # the grid refuses to run a method without it
    tuned_by: str = ""
    # and for each of these recipes (dotted settings that go together), crossed with `sweep`
    sweep_recipes: list[dict[str, Any]] = field(default_factory=list)
    sized_for: str = "any"  # cpu | gpu | any: the hardware the budgets assume (a warning otherwise)
    # same | fresh: run each cell in this process, or in a fresh one that returns all its memory
    cell_process: str = "same"
