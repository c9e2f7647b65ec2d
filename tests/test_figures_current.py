"""The figures committed under figures/ are current: each was drawn from what results/ holds now.

Every committed PNG has a sidecar `<name>.plot.json` (distill_lib.plots.layout.save): the data it
was drawn from, the words it shows and the PNG's sha256. The test renders every results folder into
a temporary folder, as `make figures` does, and compares the sidecars, never pixels (they move
between matplotlib versions). It also checks that each committed PNG is the one its sidecar
describes, that it stays under the size cap, that every figure .gitignore lets through is
committed, and that every figure the README and docs/ show exists.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from distill_lib.config import PROJECT_ROOT
from distill_lib.plots.layout import MAX_BYTES, SIDECAR, read_sidecar
from distill_lib.render import render_folder, result_folders

FIGURES = PROJECT_ROOT / "figures"
STALE = "stale: run `make figures` and commit figures/"


def _git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="module")
def tracked() -> list[Path]:
    """The PNGs under figures/ that git tracks (or is about to: added to the index)."""
    if shutil.which("git") is None or _git("rev-parse").returncode != 0:
        pytest.skip("not a git checkout: which figures are committed is unknown")
    names = _git("ls-files", "figures").stdout.split()
    return [PROJECT_ROOT / n for n in names if n.endswith(".png")]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every results folder rendered into a fresh figures root."""
    root = tmp_path_factory.mktemp("figures")
    patch = pytest.MonkeyPatch()
    patch.setenv("DISTILL_FIGURES_ROOT", str(root))
    patch.delenv("DISTILL_RESULTS_ROOT", raising=False)
    try:
        for experiment, profile in result_folders():
            render_folder(experiment, profile)
    finally:
        patch.undo()
    return root


def _comparable(png: Path) -> dict:
    side = read_sidecar(png)
    return {"texts": side["texts"], "data": side["data"]}


def test_committed_figures_match_a_fresh_render_of_results(tracked, rendered):
    assert tracked, "no figure is committed under figures/: run `make figures` and commit"
    for png in tracked:
        fresh = rendered / png.relative_to(FIGURES)
        where = png.relative_to(PROJECT_ROOT)
        assert fresh.exists(), f"{where}: results/ no longer draws it; remove it ({STALE})"
        assert _comparable(png) == _comparable(fresh), f"{where} is {STALE}"


def test_each_committed_png_is_the_one_its_sidecar_describes_and_is_small(tracked):
    for png in tracked:
        where = png.relative_to(PROJECT_ROOT)
        assert png.with_name(png.stem + SIDECAR).exists(), f"{where}: no sidecar ({STALE})"
        digest = hashlib.sha256(png.read_bytes()).hexdigest()
        assert read_sidecar(png)["png_sha256"] == digest, f"{where}: PNG and sidecar differ"
        assert png.stat().st_size <= MAX_BYTES, f"{where}: over {MAX_BYTES:,} bytes"


def test_every_figure_gitignore_lets_through_is_committed(tracked, rendered):
    for fresh in sorted(rendered.rglob("*.png")):
        relative = Path("figures") / fresh.relative_to(rendered)
        ignored = _git("check-ignore", "-q", "--no-index", str(relative)).returncode == 0
        assert ignored or PROJECT_ROOT / relative in tracked, f"{relative} is not committed"


def test_every_figure_the_readme_and_docs_show_exists(tracked):
    pages = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").rglob("*.md"))]
    for page in pages:
        for link in re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", page.read_text()):
            target = (page.parent / link).resolve()
            assert target in {p.resolve() for p in tracked}, (
                f"{page.relative_to(PROJECT_ROOT)} shows {link}: not committed"
            )
