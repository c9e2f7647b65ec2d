"""Run the numbered notebooks in order with papermill for one profile, with their progress on the
console.

    python scripts/reproduce.py PROFILE [--runs runs] [--kernel distill] [--only 01 02 ...]

Each notebook's own output (the grid's per-cell lines and ETA, the training and generation bars)
streams to this console as it runs. A notebook whose experiment config has no such profile is
skipped with the reason printed (`skip_reason`; e.g. `sweep`, which only DSS and math define); a
profile that a config has always runs (SciGen's notebooks 10-13 run on the `cpu` profile); a
profile that no config has is refused. At the end it prints the folders the run filled (figures and
result records per experiment). Finished training cells are read back, so a rerun after an
interruption resumes where it stopped.

Exit status: 0 when every notebook ran; 2 with one line `error: ...` for bad input (an unknown
profile, an unwritable `--runs` or `DISTILL_RUN_ROOT`, or a notebook stopped by bad input such as a
malformed data row); 1 with one line naming the notebook, the error and the executed copy when a
notebook fails otherwise; 130 with one line on resuming after Ctrl-C.

Deliberately left out: choosing the profile (the Makefile does: `cpu`, or `offline` when a GPU is
visible).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG_LINE = re.compile(r'^config = "([^"]+)"', re.M)
# what the library raises for bad input (distill_lib.cli.user_errors), by the name a kernel reports
USER_ERRORS = {
    "ConfigError",
    "TemplateError",
    "DataUnavailable",
    "HubUnavailable",
    "MisalignedRows",
    "TrainingDataError",
    "CheckpointSetAside",
}
RESUME = (
    "interrupted: the work done so far is kept (executed notebooks, finished training cells, "
    "teacher outputs and caches); run the same command again to resume"
)


class Stopped(Exception):
    """The run stops: the message is the one line shown, `status` the exit status (2: bad input)."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


def notebook_config(notebook: Path) -> str:
    """The config file a notebook's parameters cell names."""
    for cell in json.loads(notebook.read_text())["cells"]:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            found = CONFIG_LINE.search("".join(cell["source"]))
            if found:
                return found.group(1)
    raise Stopped(f"{notebook}: no `config = \"...\"` line in the cell tagged 'parameters'")


def config_of(config: str) -> dict:
    return yaml.safe_load((ROOT / config).read_text()) or {}


def check_profile(profile: str, configs: list[str]) -> None:
    """Refuse a profile that none of the configs defines, listing the ones they do."""
    known: dict[str, None] = {}
    for config in configs:
        known.update(dict.fromkeys(config_of(config).get("profiles") or {}))
    if profile not in known:
        raise Stopped(f"unknown profile '{profile}'; known profiles: {', '.join(known)}")


def skip_reason(config: str, profile: str) -> str:
    """Why a notebook of `config` is skipped for `profile` ('' when it runs: the profile exists)."""
    if profile in (config_of(config).get("profiles") or {}):
        return ""
    return f"{config} has no profile '{profile}'"


def shown(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def check_writable(folder: Path, source: str) -> None:
    """Create `folder` and a probe file in it; refuse, naming `source`, when either fails."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise Stopped(f"{source}: cannot write {folder} ({err.strerror})") from None


def run_notebook(notebook: Path, out: Path, profile: str, kernel: str) -> None:
    """Execute one notebook, its output streamed; a failure becomes one Stopped line."""
    import papermill
    from jupyter_client.kernelspec import NoSuchKernel

    try:
        papermill.execute_notebook(
            str(notebook),
            str(out),
            parameters={"profile": profile},
            kernel_name=kernel,
            progress_bar=False,
            log_output=True,
            stdout_file=sys.stdout,
            stderr_file=sys.stderr,
            cwd=str(ROOT),
        )
    except papermill.PapermillExecutionError as err:
        status = 2 if err.ename in USER_ERRORS else 1
        evalue = " ".join(str(err.evalue).split())
        raise Stopped(
            f"{notebook.name} stopped: {err.ename}: {evalue} (executed copy: {shown(out)})", status
        ) from None
    except NoSuchKernel:
        raise Stopped(
            f"--kernel {kernel}: no such Jupyter kernel (`make install` adds it)"
        ) from None


def filled_folders(experiments: list[str], profile: str) -> list[str]:
    """`figures: ...` and `results: ...` lines for the experiments that ran."""
    from distill_lib.runs import commit_results, figures_dir, results_dir

    lines = []
    for name in experiments:
        for kind, folder in (
            ("figures", figures_dir(experiment=name, profile=profile)),
            ("results", results_dir(name, profile, local=not commit_results())),
        ):
            lines.append(f"   {kind}: {shown(folder)}/")
    return lines


def reproduce(args: argparse.Namespace) -> None:
    notebooks = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    if args.only:
        notebooks = [n for n in notebooks if n.name.split("_")[0] in args.only]
    configs = [notebook_config(notebook) for notebook in notebooks]
    check_profile(args.profile, configs)
    out_dir = ROOT / args.runs / "notebooks" / args.profile
    check_writable(out_dir, f"--runs {args.runs}")
    if os.environ.get("DISTILL_RUN_ROOT"):
        check_writable(Path(os.environ["DISTILL_RUN_ROOT"]), "DISTILL_RUN_ROOT")
    # the kernels' bars as text, streamed below (distill_lib.progress)
    os.environ["DISTILL_TEXT_PROGRESS"] = "1"
    started, experiments = time.time(), []
    for number, (notebook, config) in enumerate(zip(notebooks, configs, strict=True), start=1):
        head = f"== [{number}/{len(notebooks)}] {notebook.name} ({args.profile})"
        reason = skip_reason(config, args.profile)
        if reason:
            print(f"{head}: SKIPPED, {reason}", flush=True)
            continue
        print(head, flush=True)
        start = time.time()
        run_notebook(notebook, out_dir / notebook.name, args.profile, args.kernel)
        print(f"   {notebook.name} done in {time.time() - start:.0f} s", flush=True)
        name = config_of(config)["base"]["name"]
        experiments += [name] if name not in experiments else []
    print(
        f"all done in {(time.time() - started) / 60:.1f} min; executed notebooks: "
        f"{shown(out_dir)}/",
        *filled_folders(experiments, args.profile),
        sep="\n",
        flush=True,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile")
    parser.add_argument(
        "--runs", default="runs", help="where executed notebooks go: RUNS/notebooks/PROFILE/"
    )
    parser.add_argument("--kernel", default="distill")
    parser.add_argument(
        "--only", nargs="*", default=None, help="notebook number prefixes, e.g. 01 03"
    )
    args = parser.parse_args(argv)
    try:
        reproduce(args)
    except Stopped as err:
        print(f"error: {err}", file=sys.stderr, flush=True)
        sys.exit(err.status)
    except KeyboardInterrupt:
        # the cell the interrupt cut short leaves a task whose error asyncio would log at exit
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)
        print(RESUME, file=sys.stderr, flush=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
