"""Command line for headless and multi-GPU runs: the same library calls the notebooks make.

    distill teacher --config configs/math.yaml --profile cpu   # the paper's teacher stage
    distill run --config configs/dss.yaml --profile cpu        # the whole grid
    distill run --config configs/dss.yaml --profile paper --cell \
        --set data.dataset=cqa method.name=dss                  # one cell
    accelerate launch --num_processes 4 -m distill_lib.cli run \
        --config configs/dss.yaml --profile paper --cell        # one cell on 4 processes
    distill profiles --config configs/dss.yaml                 # what each profile is

(`distill` is the console script; `python -m distill_lib.cli` is the same.) A config error, missing
data or an unusable checkpoint ends with one line naming the file, key or value and exit status 2,
not a traceback. Under `accelerate launch` the trainer shards every global batch over the processes
(the batch stays global).

Deliberately left out: notebook rendering (papermill does that) and any scheduling of its own.
"""

from __future__ import annotations

import argparse
import json
import sys

import yaml

from distill_lib.config import load_config, read_config_file
from distill_lib.config_values import ConfigError

EXAMPLES = __doc__.split("\n\n")[1]


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="distill",
        description="Reproducible distillation of LLM reasoning: "
        "teacher stages, training grids and evaluation from one config file.",
        epilog="examples:\n" + EXAMPLES,
        formatter_class=argparse.RawTextHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    helps = {
        "teacher": "run the paper's teacher stage (what notebooks 02 / 06 / 10 run)",
        "run": "train and evaluate the config's grid, or one cell with --cell",
        "profiles": "list the config's profiles and what each is",
    }
    for name, text in helps.items():
        command = sub.add_parser(name, help=text, description=text)
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
    return parser


def run(args: argparse.Namespace) -> None:
    if args.command == "profiles":
        for name, note in profiles_of(args.config).items():
            print(f"{name:10s} {note}")
        return
    if args.profile not in profiles_of(args.config):
        raise ConfigError(
            f"{args.config}: no profile '{args.profile}'; choose from "
            f"{list(profiles_of(args.config))}"
        )
    overrides = parse_overrides(args.set)
    if args.command == "teacher":
        from distill_lib.papers.index import paper_for
        from distill_lib.runs import open_stage

        cfg, stage_dir = open_stage(args.config, args.profile, overrides, stage="teacher")
        paper_for(cfg).teacher_stage(cfg, stage_dir)
        return
    cfg = load_config(args.config, args.profile, overrides)
    from distill_lib.experiment import run_cell
    from distill_lib.grid import run_grid

    if args.cell:
        metrics = run_cell(cfg)
        print(
            json.dumps({k: metrics[k] for k in ("cell", "dataset", "method", "seed", "best_step")})
        )
    else:
        run_grid(cfg)


def main(argv: list[str] | None = None) -> None:
    from distill_lib.data.records import DataUnavailable
    from distill_lib.hub import HubUnavailable
    from distill_lib.papers.dss.data import MisalignedRows
    from distill_lib.train.checkpoints import CheckpointSetAside
    from distill_lib.train.features import TrainingDataError

    args = build_parser().parse_args(argv)
    try:
        run(args)
    except (
        ConfigError,
        DataUnavailable,
        HubUnavailable,
        MisalignedRows,
        TrainingDataError,
        CheckpointSetAside,
    ) as err:
        print(f"distill {args.command}: {type(err).__name__}: {err}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
