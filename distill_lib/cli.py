"""Command line for headless and multi-GPU runs: the same library calls the notebooks make.

    python -m distill_lib.cli teacher --config configs/math.yaml --profile cpu       # the teacher stage
    python -m distill_lib.cli run --config configs/dss.yaml --profile paper [--set data.dataset=cqa ...] [--cell]
    accelerate launch --num_processes 4 -m distill_lib.cli run --config configs/dss.yaml --profile paper --cell \
        --set data.dataset=cqa method.name=dss train.seed=0

`teacher` runs the paper's teacher stage (what notebooks 02 / 06 / 10 run: the rationales, or the verified
teacher data, that training reads). `run` runs the config's whole grid, or with `--cell` the single cell the
config (plus --set) names. Under `accelerate launch` the trainer shards every global batch over the processes
(the batch size stays global).

Deliberately left out: notebook rendering (papermill does that) and any scheduling of its own.
"""

from __future__ import annotations

import argparse
import json

import yaml

from distill_lib.config import load_config


def parse_overrides(pairs: list[str]) -> dict:
    """`key=value` pairs; values are read as YAML (numbers, booleans, lists)."""
    overrides = {}
    for pair in pairs:
        if "=" not in pair:
            raise SystemExit(f"--set expects key=value, got '{pair}'")
        key, value = pair.split("=", 1)
        overrides[key] = yaml.safe_load(value)
    return overrides


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m distill_lib.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("teacher", "the paper's teacher stage"), ("run", "train and evaluate the grid")):
        command = sub.add_parser(name, help=text)
        command.add_argument("--config", required=True)
        command.add_argument("--profile", default="smoke")
        command.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE")
        if name == "run":
            command.add_argument("--cell", action="store_true", help="only the cell named by the config and --set")
    args = parser.parse_args(argv)
    if args.command == "teacher":
        from distill_lib.runs import open_stage

        cfg, stage_dir = open_stage(args.config, args.profile, parse_overrides(args.set), stage="teacher")
        from distill_lib.papers.index import paper_for

        paper_for(cfg).teacher_stage(cfg, stage_dir)
        return
    cfg = load_config(args.config, args.profile, parse_overrides(args.set))
    from distill_lib.experiment import run_cell, run_grid

    if args.cell:
        metrics = run_cell(cfg)
        print(json.dumps({k: metrics[k] for k in ("dataset", "method", "seed", "best_step")}))
    else:
        run_grid(cfg)


if __name__ == "__main__":
    main()
