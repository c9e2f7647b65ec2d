"""Experiment configuration: one dataclass per experiment, loaded from YAML, with profiles and
overrides.

A YAML file under `configs/` holds a `base:` mapping and a `profiles:` mapping (smoke / offline /
paper); `load_config(path, profile, overrides)` merges base <- profile <- overrides (dotted keys,
e.g. `{"train.max_steps": 20}`) into an `ExperimentConfig`. A profile may build on another
(`inherits: cpu`): the one it inherits is merged first. Unknown keys are an error naming the
file and key; values are coerced to their field's type and range-checked
(distill_lib.config_values), naming the key otherwise.

Deliberately left out: anything about models, data formats or training, and where runs are written
(distill_lib.runs); this module only resolves and checks settings.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from distill_lib.config_sections import (
    DataConfig,
    EvalConfig,
    GridConfig,
    MethodConfig,
    StudentConfig,
    TeacherConfig,
    TrainConfig,
)
from distill_lib.config_values import ConfigError, check_ranges, coerce

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def project_relative(path: str | Path) -> str:
    """`path` relative to the project root when it lies below it (what a committed record or a
    printed line should say: the same on every checkout), else unchanged."""
    resolved = Path(path).resolve() if Path(path).is_absolute() else None
    if resolved is not None and resolved.is_relative_to(PROJECT_ROOT):
        return str(resolved.relative_to(PROJECT_ROOT))
    return str(path)


@dataclass
class ExperimentConfig:
    name: str = "experiment"
    paper: str = ""
    profile: str = "smoke"
    run_root: str = "runs"
    data: DataConfig = field(default_factory=DataConfig)
    student: StudentConfig = field(default_factory=StudentConfig)
    method: MethodConfig = field(default_factory=MethodConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    teacher: TeacherConfig = field(default_factory=TeacherConfig)
    grid: GridConfig = field(default_factory=GridConfig)
    extra: Any = field(default_factory=dict)  # the paper's Extra options

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def get(self, key: str) -> Any:
        """The value of a dotted key, e.g. cfg.get("train.lr")."""
        node: Any = self
        for part in key.split("."):
            node = node[part] if isinstance(node, dict) else getattr(node, part)
        return node

    def replace(self, overrides: dict[str, Any] | None = None, **dotted: Any) -> ExperimentConfig:
        """A copy with dotted-key overrides applied, e.g. cfg.replace({"data.dataset": "svamp"})."""
        merged = self.to_dict()
        for key, value in {**(overrides or {}), **dotted}.items():
            _set_dotted(merged, key, value, where="override")
        return build_config(merged, where="override")


def _set_dotted(tree: dict[str, Any], key: str, value: Any, where: str) -> None:
    parts = key.split(".")
    node = tree
    for part in parts[:-1]:
        if not isinstance(node.get(part), dict):
            raise ConfigError(
                f"{where}: '{key}' does not name a config section ('{part}' is not a section)"
            )
        node = node[part]
    node[parts[-1]] = value


def _merge(
    base: dict[str, Any], update: dict[str, Any], where: str, top: bool = True
) -> dict[str, Any]:
    """`update` merged into a copy of `base`; dotted keys name nested settings at the top level only
    (below it, a key is a key: free-form option dicts may hold dotted names)."""
    out = copy.deepcopy(base)
    for key, value in (update or {}).items():
        if top and "." in key:
            _set_dotted(out, key, value, where)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value, where, top=False)
        else:
            out[key] = value
    return out


def _from_dict(cls: type, values: dict[str, Any], where: str, prefix: str = "") -> Any:
    """An instance of dataclass `cls` from `values`, each value coerced to its field's type
    (ConfigError names the key and value otherwise)."""
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {[prefix + k for k in unknown]} in section "
            f"'{cls.__name__}'; known: {sorted(known)}"
        )
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for name, value in values.items():
        default = (
            known[name].default_factory()
            if known[name].default_factory is not dataclasses.MISSING
            else None
        )
        if dataclasses.is_dataclass(default):
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: {prefix}{name} is a section; got {value!r}")
            kwargs[name] = _from_dict(type(default), value, where, f"{prefix}{name}.")
        else:
            try:
                kwargs[name] = coerce(value, hints[name], f"{prefix}{name}")
            except ConfigError as err:
                raise ConfigError(f"{where}: {err}") from None
    return cls(**kwargs)


OPTION_SECTIONS = (
    ("data", "options", "DataOptions"),
    ("method", "options", "MethodOptions"),
    (None, "extra", "Extra"),
)


def options_module(experiment: str) -> Any:
    """`distill_lib.papers.<experiment>.options`, or None for an experiment without one (test
    configs)."""
    try:
        return importlib.import_module(f"distill_lib.papers.{experiment}.options")
    except ModuleNotFoundError as err:
        if err.name and err.name.startswith("distill_lib.papers"):
            return None
        raise


def _typed(value: Any, cls: type, where: str, key: str) -> Any:
    """`value` (a dict or an instance) as a checked instance of the option dataclass `cls`."""
    values = dataclasses.asdict(value) if dataclasses.is_dataclass(value) else dict(value or {})
    typed = _from_dict(cls, values, where, key)
    if hasattr(typed, "check"):
        try:
            typed.check()
        except ConfigError as err:
            raise ConfigError(f"{where}: {err}") from None
    return typed


def _typed_options(cfg: ExperimentConfig, where: str) -> None:
    """Replace the free option dicts by the paper's option dataclasses
    (distill_lib.papers.<cfg.name>.options: DataOptions, MethodOptions, Extra), coerced and checked
    like every other value."""
    module = options_module(cfg.name)
    if module is None:
        return
    for section, name, cls_name in OPTION_SECTIONS:
        owner = getattr(cfg, section) if section else cfg
        key = f"{section}.{name}." if section else f"{name}."
        setattr(owner, name, _typed(getattr(owner, name), getattr(module, cls_name), where, key))
    _check_names(cfg, module.DATASETS, module.METHOD_NAMES, where)


def _check_names(
    cfg: ExperimentConfig, datasets: tuple[str, ...], methods: tuple[str, ...], where: str
) -> None:
    """Every dataset and method the config names is one of its paper's (before any data is
    loaded).
    """
    grid = cfg.grid
    named = {"data.dataset": [cfg.data.dataset], "method.name": [cfg.method.name]}
    for axis in (
        "datasets",
        "fraction_datasets",
        "extra_seed_datasets",
        "student_datasets",
        "unlabelled_datasets",
    ):
        named[f"grid.{axis}"] = getattr(grid, axis)
    for axis in (
        "methods",
        "fraction_methods",
        "extra_seed_methods",
        "student_methods",
        "unlabelled_methods",
    ):
        named[f"grid.{axis}"] = getattr(grid, axis)
    for key, values in named.items():
        allowed = methods if "method" in key else datasets
        unknown = [v for v in values if v not in allowed]
        if unknown:
            raise ConfigError(f"{where}: {key} names {unknown}: {cfg.name} knows {list(allowed)}")


def typed_section(method: MethodConfig, experiment: str) -> MethodConfig:
    """A copy of a hand-built MethodConfig with its options typed as `experiment`'s
    MethodOptions.
    """
    module = options_module(experiment)
    if module is None:
        return method
    options = _typed(method.options, module.MethodOptions, "method config", "method.options.")
    return dataclasses.replace(method, options=options)


def build_config(merged: dict[str, Any], where: str) -> ExperimentConfig:
    cfg = _from_dict(ExperimentConfig, merged, where)
    check_ranges(cfg.to_dict(), where)
    _typed_options(cfg, where)
    return cfg


def read_config_file(path: str | Path) -> tuple[Path, dict[str, Any]]:
    """The config file's resolved path (relative paths resolve against the project root) and its
    YAML; ConfigError naming the file (and the line) when it is missing or not valid YAML."""
    given = Path(path)
    path = PROJECT_ROOT / given if not given.is_absolute() and not given.exists() else given
    if not path.exists():
        raise ConfigError(f"config file not found: {given}")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(
            f"{path}: not valid YAML{where} ({getattr(err, 'problem', None) or err})"
        ) from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping with 'base' and 'profiles'")
    return path, raw


def profile_chain(profiles: dict[str, Any], profile: str, path: Path) -> list[str]:
    """`profile` and the profiles it inherits (`inherits: <name>`), the farthest first."""
    chain = [profile]
    while parent := (profiles[chain[0]] or {}).get("inherits"):
        if parent not in profiles:
            raise ConfigError(
                f"{path}: profile '{chain[0]}' inherits '{parent}', which is not defined; "
                f"available: {sorted(profiles)}"
            )
        if parent in chain:
            raise ConfigError(
                f"{path}: profiles inherit in a cycle: {' -> '.join([*reversed(chain), parent])}"
            )
        chain.insert(0, parent)
    return chain


def load_config(
    path: str | Path, profile: str = "smoke", overrides: dict[str, Any] | None = None
) -> ExperimentConfig:
    """Read `path` (relative paths resolve against the project root), apply `profile`, then
    `overrides`."""
    path, raw = read_config_file(path)
    profiles = raw.get("profiles", {})
    if profile not in profiles:
        raise ConfigError(f"{path}: profile '{profile}' not defined; available: {sorted(profiles)}")
    merged = _merge(ExperimentConfig().to_dict(), raw.get("base", {}), where=f"{path} [base]")
    for name in profile_chain(profiles, profile, path):
        own = {k: v for k, v in (profiles[name] or {}).items() if k != "inherits"}
        merged = _merge(merged, own, where=f"{path} [profile {name}]")
    merged = _merge(merged, overrides or {}, where="overrides")
    merged["profile"] = profile
    return build_config(
        merged, where=f"{path} [profile {profile}]" + (" + overrides" if overrides else "")
    )
