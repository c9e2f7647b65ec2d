"""Progress bars that show where the user looks: widgets in JupyterLab, text on a console.

`progress(...)` takes tqdm's arguments. In a notebook kernel it is tqdm's widget bar (ipywidgets),
except when DISTILL_TEXT_PROGRESS=1 is set: then it is the text bar on stderr, which `make
reproduce` (scripts/reproduce.py sets the variable for the kernels it starts) streams to the console
while papermill runs the notebook.

Deliberately left out: logging configuration (callers print their own summary lines).
"""

from __future__ import annotations

import os
from typing import Any

TEXT = "DISTILL_TEXT_PROGRESS"


def progress(*args: Any, **kwargs: Any) -> Any:
    if os.environ.get(TEXT) == "1":
        from tqdm.std import tqdm
    else:
        from tqdm.auto import tqdm
    return tqdm(*args, **kwargs)
