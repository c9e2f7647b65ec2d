"""Recompute the keys of committed result records after a change to how cell keys are computed
(never to what a cell's settings are).

    python scripts/rekey_results.py results/dss/cpu [--dry-run]

For each record, its stored resolved config is loaded again with the current code (typed and checked
like any config) and its identity settings are compared with the stored ones: every stored setting
must be unchanged, and a setting the current code adds may only be at its default value (the
behaviour the old code had without the setting). Then the file is renamed to the new key and its
`key` and `identity` are updated; `rekeyed_from` keeps the old key. Any other difference stops with
the record and setting named.

Deliberately left out: re-running anything; the metrics, config, machine and commit are not touched.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from distill_lib.config import ExperimentConfig, build_config, options_module
from distill_lib.runs import cell_key, identity_settings, result_path, write_json


def flat(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def setting_defaults(experiment: str) -> dict[str, Any]:
    """Every setting's default value, the paper's options included, as flat dotted keys."""
    defaults = flat(ExperimentConfig().to_dict())
    module = options_module(experiment)
    if module is not None:
        options = {
            "data.options": module.DataOptions(),
            "method.options": module.MethodOptions(),
            "extra": module.Extra(),
        }
        defaults.update(flat({k: dataclasses.asdict(v) for k, v in options.items()}))
    return defaults


def check_same_settings(
    old: dict[str, Any], new: dict[str, Any], defaults: dict[str, Any], where: str
) -> None:
    old_flat, new_flat = flat(old), flat(new)
    for key, value in old_flat.items():
        if key.endswith(("options", "extra")) and value == {}:
            continue  # an empty option section of the old code: its options are checked below
        if new_flat.get(key) != value:
            raise SystemExit(
                f"{where}: setting {key} was {value!r}, now {new_flat.get(key)!r}: not a rekey"
            )
    for key in set(new_flat) - set(old_flat):
        if key not in defaults or defaults[key] != new_flat[key]:
            raise SystemExit(
                f"{where}: the current code adds {key} = {new_flat[key]!r}, not its default"
            )


def rekey(path: Path, dry_run: bool) -> str | None:
    record = json.loads(path.read_text())
    cfg: ExperimentConfig = build_config(record["config"], where=str(path))
    check_same_settings(
        record["identity"], identity_settings(cfg), setting_defaults(cfg.name), str(path)
    )
    new_key = cell_key(cfg)
    if new_key == record["key"]:
        return None
    if not dry_run:
        record.update(key=new_key, identity=identity_settings(cfg), rekeyed_from=record["key"])
        target = result_path(cfg)
        write_json(target, record)
        if target != path:
            path.unlink()
    return f"{record.get('rekeyed_from', record['key'])} -> {new_key}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args(argv)
    changed = [
        line for p in sorted(args.folder.rglob("*.json")) if (line := rekey(p, args.dry_run))
    ]
    print("\n".join(changed) or "every key is current")
    sys.exit(0)


if __name__ == "__main__":
    main()
