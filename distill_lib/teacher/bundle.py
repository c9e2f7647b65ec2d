"""A teacher stage's responses as one small committed file, so that a rerun elsewhere (a fresh
clone, another machine) reads them instead of asking the teacher again.

`write_bundle(cache, path, template)`: every entry of the response cache (teacher.cache) made with
`template` (the payload's `template` field), as gzipped JSON lines of {key, payload} in key order,
written atomically. `seed_cache(cache, path)`: the bundle's entries into the cache where the cache
has no valid entry for that key; returns how many were added. Keys do not depend on the machine
(an embedded teacher's model is named by its cache name, not its local path: teacher.server), so a
bundle written on one machine is hit on another for the same template, model and settings.

    python -m distill_lib.teacher.bundle write --cache cache/teacher --template scigen_reasoning \
        --out results/scigen/cpu/stages/teacher-cache.jsonl.gz

Deliberately left out: merging bundles, and deleting cache entries a bundle no longer holds.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import tempfile
from pathlib import Path

from distill_lib.teacher.cache import ResponseCache


def write_bundle(cache: ResponseCache, path: Path, template: str) -> int:
    """Write the cache's entries made with `template` to `path`; how many."""
    entries = []
    for file in sorted(cache.root.glob("*/*.json")):
        payload = cache.get(file.stem)
        if payload is not None and payload.get("template") == template:
            entries.append({"key": file.stem, "payload": payload})
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
            for entry in entries:
                out.write((json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n").encode())
        os.chmod(tmp, 0o644)  # a committed file, readable like the others
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(entries)


def seed_cache(cache: ResponseCache, path: Path) -> int:
    """Put the bundle's entries the cache lacks into it; how many were added (0: no bundle)."""
    if not path.exists():
        return 0
    added = 0
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            try:
                entry = json.loads(line)
                key, payload = entry["key"], entry["payload"]
            except (json.JSONDecodeError, KeyError, TypeError) as err:
                raise ValueError(f"{path}: line {number} is not a bundle entry ({err})") from None
            if cache.get(key) is None:
                cache.put(key, payload)
                added += 1
    return added


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m distill_lib.teacher.bundle", description=__doc__)
    p.add_argument("action", choices=["write", "seed"])
    p.add_argument("--cache", type=Path, required=True, help="the teacher cache folder")
    p.add_argument("--template", default="", help="write: the template whose entries to keep")
    p.add_argument("--out", type=Path, required=True, help="the bundle file (.jsonl.gz)")
    args = p.parse_args(argv)
    cache = ResponseCache(args.cache)
    if args.action == "write":
        print(f"{write_bundle(cache, args.out, args.template)} entries -> {args.out}")
    else:
        print(f"{seed_cache(cache, args.out)} entries added to {args.cache} from {args.out}")


if __name__ == "__main__":
    main()
