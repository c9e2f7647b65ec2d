"""environment.yml: every pip line is one pip can read, and the documented follow-up command
exists.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent


def test_every_pip_line_is_a_requirement_pip_accepts():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_lines = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    for line in pip_lines:
        if line.startswith("-e "):
            assert re.fullmatch(r'-e "?\.(\[[a-z,-]+\])?"?', line), line
        else:
            assert not line.startswith("-"), (
                f"{line!r}: an option is not a requirement in a pip list"
            )
            Requirement(line)  # raises on anything pip would reject


def test_the_documented_follow_up_command_installs_models_and_kernel():
    first_line = (ROOT / "environment.yml").read_text().splitlines()[0]
    assert 'make install VENV="$CONDA_PREFIX"' in first_line
    makefile = (ROOT / "Makefile").read_text()
    install = makefile[makefile.index("$(STAMP):") : makefile.index("install: $(STAMP)")]
    assert (
        "--no-deps $(OFFLINE_MODELS)" in install
        and "ipykernel install --sys-prefix --name $(KERNEL)" in install
    )
