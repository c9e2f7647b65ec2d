"""Run the numbered notebooks in order with papermill for one profile, with their progress on the
console.

    python scripts/reproduce.py PROFILE [--runs runs] [--kernel distill] [--only 01 02 ...]

Each notebook's own output (the grid's per-cell lines and ETA, the training and generation bars)
streams to this console as it runs. A notebook whose experiment config has no such profile is
skipped with the reason printed (e.g. SciGen has no `cpu` profile); a failing notebook stops the run
with its exit status. Finished training cells are read back, so a rerun after an interruption
resumes where it stopped.

Deliberately left out: choosing the profile (the Makefile does: `cpu`, or `offline` when a GPU is
visible).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

import papermill
import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG_LINE = re.compile(r'^config = "([^"]+)"', re.M)


def notebook_config(notebook: Path) -> str:
    """The config file a notebook's parameters cell names."""
    for cell in json.loads(notebook.read_text())["cells"]:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            found = CONFIG_LINE.search("".join(cell["source"]))
            if found:
                return found.group(1)
    raise SystemExit(f"{notebook}: no `config = \"...\"` line in the cell tagged 'parameters'")


def has_profile(config: str, profile: str) -> bool:
    return profile in (yaml.safe_load((ROOT / config).read_text()).get("profiles") or {})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile")
    parser.add_argument("--runs", default="runs")
    parser.add_argument("--kernel", default="distill")
    parser.add_argument(
        "--only", nargs="*", default=None, help="notebook number prefixes, e.g. 01 03"
    )
    args = parser.parse_args(argv)
    notebooks = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    if args.only:
        notebooks = [n for n in notebooks if n.name.split("_")[0] in args.only]
    out_dir = ROOT / args.runs / "notebooks" / args.profile
    out_dir.mkdir(parents=True, exist_ok=True)
    # the kernels' bars as text, streamed below (distill_lib.progress)
    os.environ["DISTILL_TEXT_PROGRESS"] = "1"
    started = time.time()
    for number, notebook in enumerate(notebooks, start=1):
        config = notebook_config(notebook)
        head = f"== [{number}/{len(notebooks)}] {notebook.name} ({args.profile})"
        if not has_profile(config, args.profile):
            print(f"{head}: SKIPPED, {config} has no profile '{args.profile}'", flush=True)
            continue
        print(head, flush=True)
        start = time.time()
        papermill.execute_notebook(
            str(notebook),
            str(out_dir / notebook.name),
            parameters={"profile": args.profile},
            kernel_name=args.kernel,
            progress_bar=False,
            log_output=True,
            stdout_file=sys.stdout,
            stderr_file=sys.stderr,
            cwd=str(ROOT),
        )
        print(f"   {notebook.name} done in {time.time() - start:.0f} s", flush=True)
    print(
        f"all done in {(time.time() - started) / 60:.1f} min; executed notebooks: "
        f"{out_dir.relative_to(ROOT)}/",
        flush=True,
    )


if __name__ == "__main__":
    main()
