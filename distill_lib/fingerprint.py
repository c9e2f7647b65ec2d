"""A short fingerprint of the data a cell trains and is tested on and of the teacher outputs it
uses: the sha256 of the CONTENT of those files (never their path), part of the cell's key
(runs.cell_hash), so that a changed data file gives a new cell instead of old metrics.

`data_sources(cfg)` names the files and folders a cell's records come from: each paper says
which (its `Paper.data_sources`, given the config and the data dir; `live_teacher_outputs` is the
live teacher's folder for papers that use one); a paper that says nothing reads
<data dir>/<dataset>/.
A folder counts as every file below it (but, in a saved `datasets` folder, the bookkeeping that
changes without its rows changing: state.json and the cache files a filter or map writes). A
source that is absent counts as absent (the cell then fails with its usual DataUnavailable); data
fetched from the Hugging Face Hub is not hashed.

Each file's digest is cached in this process by path, size, mtime and inode, so listing a grid
hashes each file once; an edit that keeps a file's size, mtime and inode is not seen.

Deliberately left out: reading records (the papers' loaders) and what else decides a cell
(runs.identity_settings).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from distill_lib.config import ExperimentConfig

FINGERPRINT_CHARS = 16
_FILE_DIGESTS: dict[tuple[str, int, int, int], str] = {}


def file_digest(path: Path) -> str:
    """sha256 of one file's bytes, cached by (path, size, mtime, inode)."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns, stat.st_ino)
    if key not in _FILE_DIGESTS:
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        _FILE_DIGESTS[key] = digest.hexdigest()
    return _FILE_DIGESTS[key]


def _datasets_bookkeeping(name: str) -> bool:
    """state.json (rewritten when the same rows are saved again) and the cache-*.arrow files
    `datasets` writes beside the data when a loaded copy is filtered or mapped."""
    return name == "state.json" or (name.startswith("cache-") and name.endswith(".arrow"))


def source_digest(path: Path) -> str:
    """The digest of a file, of a folder (every file below it, by relative path) or 'absent'."""
    if path.is_file():
        return file_digest(path)
    if not path.is_dir():
        return "absent"
    digest = hashlib.sha256()
    for root, folders, files in os.walk(path):
        folders.sort()
        if "dataset_info.json" in files:  # a saved `datasets` folder: only its data counts
            files = [name for name in files if not _datasets_bookkeeping(name)]
        for name in sorted(files):
            file = Path(root) / name
            digest.update(f"{file.relative_to(path).as_posix()}\0{file_digest(file)}\n".encode())
    return digest.hexdigest()


def _data_root(cfg: ExperimentConfig) -> Path | None:
    """The data dir the loaders resolve (None when there is none), never raising."""
    from distill_lib.data.records import DataUnavailable, resolve_data_dir

    try:
        return resolve_data_dir(cfg.data.data_dir)
    except DataUnavailable:
        return None


def live_teacher_outputs(cfg: ExperimentConfig) -> list[Path]:
    """The live teacher's outputs for train, when `teacher.source: live` (else none)."""
    from distill_lib.runs import teacher_dir

    return [teacher_dir(cfg, cfg.data.dataset, "train")] if cfg.teacher.source == "live" else []


def data_sources(cfg: ExperimentConfig) -> list[Path]:
    """The files and folders cfg's cell reads its records and teacher outputs from (module doc)."""
    from distill_lib.papers.index import paper_for

    root = _data_root(cfg)
    sources = paper_for(cfg).data_sources
    if sources is not None:
        return sources(cfg, root)
    return [root / cfg.data.dataset] if root else []


def data_fingerprint(cfg: ExperimentConfig) -> str:
    """A short hash of the content of data_sources(cfg), in order; independent of where they are."""
    digest = hashlib.sha256()
    for number, source in enumerate(data_sources(cfg)):
        digest.update(f"{number}:{source_digest(source)}\n".encode())
    return digest.hexdigest()[:FINGERPRINT_CHARS]
