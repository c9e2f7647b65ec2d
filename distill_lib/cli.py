r"""Command line for headless and multi-GPU runs: the same library calls the notebooks make.

    distill teacher --config configs/math.yaml --profile cpu \
        --set teacher.concurrency=4                 # the teacher stage, 4 requests at once

    distill run --config configs/dss.yaml --profile cpu     # the whole grid
    distill run --config configs/dss.yaml --profile cpu \
        --workers 2                                 # two cells at a time, one core each
    distill run --config configs/dss.yaml --profile paper --cell \
        --set data.dataset=cqa method.name=dss      # one cell
    accelerate launch --num_processes 4 -m distill_lib.cli run \
        --config configs/dss.yaml --profile paper --cell    # one cell on 4 processes

    distill profiles --config configs/dss.yaml      # what each profile is
    for config in configs/*.yaml; do \
        distill profiles --config "$config"; done   # every experiment's profiles

`distill teacher` runs a paper's teacher stage, `distill run` its grid (or one cell with `--cell`),
`distill profiles` lists a config's profiles; `distill --help` and `distill <command> --help` print
the examples above (EXAMPLES) as typed, shell continuations included. (`distill` is the console
script; `python -m distill_lib.cli` is the same.) Under `accelerate launch` the trainer shards every
global batch over the processes (the batch stays global).

Bad input ends with one line, `error: <message>`, naming the file, row, key or value, and exit
status 2, not a traceback: a config error, missing or malformed data (a bad row, an empty file or
split), an unwritable run root (`DISTILL_RUN_ROOT` or the config's `run_root`, checked before any
work), an unknown prompt template, a teacher cache folder that is a file, an unusable checkpoint.

Deliberately left out: notebook rendering (papermill does that) and any scheduling of its own.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from typing import TYPE_CHECKING

import yaml

from distill_lib.config import load_config, read_config_file
from distill_lib.config_values import ConfigError

if TYPE_CHECKING:
    from distill_lib.config import ExperimentConfig

HELPS = {
    "teacher": "run the paper's teacher stage (what notebooks 02 / 06 / 10 run)",
    "run": "train and evaluate the config's grid, or one cell with --cell",
    "profiles": "list the config's profiles and what each is",
}
# command -> its examples: the docstring's first paragraphs, one per command in HELPS order
EXAMPLES = dict(zip(HELPS, (__doc__ or "").split("\n\n")[1:], strict=False))  # none under -OO


def parse_overrides(pairs: list[str]) -> dict:
    """`key=value` pairs; values are read as YAML (numbers, booleans, lists)."""
    overrides = {}
    for pair in pairs:
        if "=" not in pair:
            raise ConfigError(f"--set expects key=value, got '{pair}'")
        key, value = pair.split("=", 1)
        overrides[key] = yaml.safe_load(value)
    return overrides


def profiles_of(config: str) -> dict[str, str]:
    """Profile name -> the comment on its line in the config file (what the profile is)."""
    path, raw = read_config_file(config)
    names = raw.get("profiles") or {}
    notes = {}
    text = path.read_text()
    for line in text[text.find("\nprofiles:") :].splitlines():
        stripped = line.strip()
        name = stripped.split(":", 1)[0]
        if line.startswith("  ") and not line.startswith("   ") and name in names:
            notes[name] = stripped.split("#", 1)[1].strip() if "#" in stripped else ""
    return notes


def examples(*commands: str) -> str:
    """The EXAMPLES of `commands`, as typed (for an argparse epilog)."""
    return "examples:\n" + "\n".join(EXAMPLES.get(command, "") for command in commands)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="distill",
        description="Reproducible distillation of LLM reasoning: "
        "teacher stages, training grids and evaluation from one config file.",
        epilog=examples(*EXAMPLES),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in HELPS.items():
        command = sub.add_parser(
            name,
            help=text,
            description=text,
            epilog=examples(name),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        command.add_argument(
            "--config", required=True, help="experiment file, e.g. configs/dss.yaml"
        )
        if name == "profiles":
            continue
        command.add_argument(
            "--profile", default="smoke", help="a profile of the config (see `distill profiles`)"
        )
        command.add_argument(
            "--set",
            nargs="*",
            default=[],
            metavar="KEY=VALUE",
            help="dotted overrides, values read as YAML: train.lr=5e-5 grid.seeds=[0,1]",
        )
        if name == "run":
            command.add_argument(
                "--cell", action="store_true", help="only the cell named by the config and --set"
            )
            command.add_argument(
                "--workers",
                type=int,
                default=1,
                help="cells side by side: N processes, each on its share of the cores",
            )
    return parser


def check_run_root(cfg: ExperimentConfig) -> None:
    """Create the run folder and write a probe file in it; a ConfigError naming DISTILL_RUN_ROOT
    (or the config's run_root) when either fails, before any work starts."""
    from distill_lib.runs import run_dir

    folder = run_dir(cfg)
    env = os.environ.get("DISTILL_RUN_ROOT")
    source = f"DISTILL_RUN_ROOT={env}" if env else f"run_root = {cfg.run_root!r}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise ConfigError(
            f"{source}: cannot write the run folder {folder} ({err.strerror})"
        ) from None


def check_teacher_template(cfg: ExperimentConfig) -> None:
    """A named teacher.template exists (one line naming the key otherwise), before any work."""
    from distill_lib.prompts import get_template

    if cfg.teacher.template:
        try:
            get_template(cfg.teacher.template)
        except ConfigError as err:
            raise ConfigError(f"teacher.template: {err}") from None


def run(args: argparse.Namespace) -> None:
    if args.command == "profiles":
        for name, note in profiles_of(args.config).items():
            print(f"{name:10s} {note}")
        return
    known = profiles_of(args.config)
    if args.profile not in known:
        raise ConfigError(f"{args.config}: no profile '{args.profile}'; choose from {list(known)}")
    overrides = parse_overrides(args.set)
    cfg = load_config(args.config, args.profile, overrides)
    check_run_root(cfg)
    if args.command == "teacher":
        check_teacher_template(cfg)
        from distill_lib.papers.index import run_teacher_for

        run_teacher_for(args.config, args.profile, overrides)
        return
    from distill_lib.experiment import run_cell
    from distill_lib.grid import run_grid

    if args.workers > 1 and not args.cell:
        from distill_lib.workers import run_workers

        sys.exit(run_workers(sys.argv[1:], args.workers))
    if args.cell:
        metrics = run_cell(cfg)
        print(
            json.dumps({k: metrics[k] for k in ("cell", "dataset", "method", "seed", "best_step")})
        )
    else:
        run_grid(cfg)


def user_errors() -> tuple[type[Exception], ...]:
    """What bad input raises: ConfigError (config, data rows, templates, run root, teacher cache)
    and the library's own kinds of missing or unusable input."""
    from distill_lib.data.records import DataUnavailable
    from distill_lib.hub import HubUnavailable
    from distill_lib.papers.dss.data import MisalignedRows
    from distill_lib.train.checkpoints import CheckpointSetAside
    from distill_lib.train.features import TrainingDataError

    return (
        ConfigError,
        DataUnavailable,
        HubUnavailable,
        MisalignedRows,
        TrainingDataError,
        CheckpointSetAside,
    )


def one_line(err: BaseException) -> str:
    return " ".join(line.strip() for line in str(err).splitlines() if line.strip())


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    from distill_lib.train.checkpoints import NonFiniteLoss

    try:
        run(args)
    except user_errors() as err:
        print(f"error: {one_line(err)}", file=sys.stderr)
        sys.exit(2)
    except NonFiniteLoss as err:  # not bad input, but a stop with one clear line all the same
        print(f"error: {one_line(err)} (no result was written for this cell)", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
