"""Render the committed results: every results/<experiment>/<profile>/ folder into figures/ and into
its results block (README.md or docs/grids/).

    python -m distill_lib.render            # figures + README blocks (what `make figures` runs)
    python -m distill_lib.render --check    # exit 1 when a README block differs from results/

Each rendered folder has one block between `<!-- results:<experiment>/<profile> -->` and
`<!-- /results:<experiment>/<profile> -->`, in the README when it holds those markers, else in the
grid's page docs/grids/<experiment>-<profile>.md (created with the markers when missing); the
block is generated, never typed by hand (a block
whose folder holds no record says so, rather than keeping numbers that are gone). A folder
whose experiment's paper has no renderer, or a README without the block's markers, is an error that
names it. The claims ledger (distill_lib.plots.ledger, the claims each paper package declares in its
`claims` module) goes between `<!-- results:claims -->` and `<!-- /results:claims -->` and into
results/claims.md and results/claims.json; `--check` also fails when those files are stale. Each
grid's measured cost and its expected cost on the other kinds of CPU (distill_lib.plots.costs) goes
between `<!-- results:costs -->` and `<!-- /results:costs -->`.

After the committed folders, `main` also writes and prints, for each folder of this machine's own
records (runs/results/, distill_lib.plots.local), a table of your run beside the committed results;
records of mixed configurations end the command with a one-line message saying what to do.

Deliberately left out: training and the run folders (the README blocks read results/ only).
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from pathlib import Path

from distill_lib.config import PROJECT_ROOT, load_config
from distill_lib.papers.index import PAPERS
from distill_lib.plots.costs import render_costs
from distill_lib.plots.ledger import Claim, render_ledger
from distill_lib.plots.local import render_local
from distill_lib.plots.records import MixedConfigurations, results_frame
from distill_lib.plots.sweep import render_sweep
from distill_lib.runs import figures_dir, grid_cells, results_dir, swept_keys

README = PROJECT_ROOT / "README.md"
BLOCK_START = re.compile(r"<!-- results:([\w.-]+/[\w.-]+) -->")


def result_folders() -> list[tuple[str, str]]:
    """(experiment, profile) of every results folder that holds at least one cell record (a folder
    of stage records alone, e.g. a teacher stage before its grid's first cell, renders nothing)."""
    root = results_dir("x", "y").parent.parent

    def cells(folder: Path) -> bool:
        return any("stages" not in p.relative_to(folder).parts for p in folder.rglob("*.json"))

    return sorted((p.parent.name, p.name) for p in root.glob("*/*") if p.is_dir() and cells(p))


def declared_claims() -> list[Claim]:
    """Every paper's claims for the ledger (`distill_lib.papers.<name>.claims.claims()`), in the
    order of PAPERS; a paper without a claims module declares none."""
    found: list[Claim] = []
    for name in PAPERS:
        module_name = f"distill_lib.papers.{name}.claims"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            continue
        found += module.claims()
    return found


def render_folder(experiment: str, profile: str, stale: list[str] | None = None) -> str:
    """Figures of one results folder into figures/<experiment>/<profile>/; returns its README
    block.
    """
    render = PAPERS[experiment].render if experiment in PAPERS else None
    if render is None:
        known = sorted(name for name, paper in PAPERS.items() if paper.render)
        raise KeyError(
            f"results/{experiment}/{profile}: no renderer for experiment '{experiment}'; known: "
            f"{known}"
        )
    cfg = load_config(f"configs/{experiment}.yaml", profile)
    out = figures_dir(experiment=experiment, profile=profile)
    if cfg.grid.sweep or cfg.grid.sweep_recipes:  # a tuning sweep: validation only
        title = f"{experiment} {profile}: {cfg.student.name}, {cfg.train.max_steps} steps"
        folder = results_dir(experiment, profile)
        per_method = len(grid_cells(cfg)) // max(len(cfg.grid.methods), 1)
        block, choice = render_sweep(
            experiment, profile, swept_keys(cfg), out, folder, title, stale is None, per_method
        )
        if choice is not None and stale is not None:
            stale.append(str(choice))
        return block
    frame = results_frame(experiment, profile)
    students = ", ".join(sorted(set(frame["student"].dropna())))
    machines = ", ".join(
        sorted({str(g or c) for g, c in zip(frame["gpu"], frame["cpu"], strict=True)})
    )
    body = render(frame, out, cfg)
    commits = sorted({str(c)[:12] for c in frame["commit"]})
    source = (
        f"\n_Generated by `make figures` from {len(frame)} records in "
        f"`results/{experiment}/{profile}/` "
        f"(student {students}; machine {machines}; commits {', '.join(commits)})._\n"
    )
    return body + source


def replace_block(text: str, name: str, body: str) -> str:
    """`text` with the block `name` replaced by `body`; ValueError naming the markers when
    absent.
    """
    start, end = f"<!-- results:{name} -->", f"<!-- /results:{name} -->"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise ValueError(
            f"README has no block for results/{name}: add the lines '{start}' and '{end}'"
        )
    return pattern.sub(lambda _: f"{start}\n{body}{end}", text)


def grid_doc(readme: Path, name: str) -> Path:
    """The page of results/<name>'s block when the README holds none: docs/grids/<e>-<p>.md."""
    return readme.parent / "docs" / "grids" / f"{name.replace('/', '-')}.md"


def render_all(readme: Path = README, check: bool = False) -> list[str]:
    """Render every results folder into its block (the README's, else its page under docs/grids/,
    created when missing); update the files (or, with check, list the stale ones)."""
    texts = {readme: readme.read_text()}
    texts |= {p: p.read_text() for p in sorted(grid_doc(readme, "x").parent.glob("*.md"))}
    updated = dict(texts)
    folders = result_folders()
    stale_files: list[str] | None = [] if check else None
    for experiment, profile in folders:
        name = f"{experiment}/{profile}"
        home = readme if f"<!-- results:{name} -->" in texts[readme] else grid_doc(readme, name)
        updated.setdefault(
            home, f"# results/{name}\n\n<!-- results:{name} -->\n<!-- /results:{name} -->\n"
        )
        block = render_folder(experiment, profile, stale_files)
        updated[home] = replace_block(updated[home], name, block)
    for path, text in texts.items():
        for name in sorted(set(BLOCK_START.findall(text)) - {f"{e}/{p}" for e, p in folders}):
            updated[path] = replace_block(
                updated[path], name, f"\n_No records in `results/{name}/` yet._\n"
            )
    root = results_dir("x", "y").parent.parent
    ledger, stale = render_ledger(declared_claims(), root, check)
    updated[readme] = replace_block(updated[readme], "claims", ledger)
    updated[readme] = replace_block(updated[readme], "costs", render_costs(folders))
    changed = [path for path, text in updated.items() if texts.get(path) != text]
    if check:
        return [str(path) for path in changed] + stale + (stale_files or [])
    for path in changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(updated[path])
    return [f"{e}/{p}" for e, p in result_folders()]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m distill_lib.render", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when the README differs from results/"
    )
    args = parser.parse_args(argv)
    try:
        if args.check:
            stale = render_all(check=True)
            if stale:
                sys.exit(f"README results blocks are stale: run `make figures` ({stale})")
            print("README results blocks match results/")
            return
        names = render_all()
    except MixedConfigurations as err:  # one line that says what to do, not a traceback
        sys.exit(f"make figures: {err}")
    for name in names:
        print(f"rendered results/{name} -> figures/{name}/ and its results block")
    for name, table in render_local().items():
        print(
            f"\nyour run vs the committed results, {name} (figures/{name}/local_vs_committed.md):"
        )
        print(table.to_markdown())


if __name__ == "__main__":
    main()
