"""Two cores, two ways: one training step with two torch threads, against two steps side by side
with one thread each (two cells of a grid at once), the machine otherwise idle.

Both run bench_step's child (the real student, the cpu profile's mean DSS SVAMP batch, the
trainer's plan: `precision: auto` resolved here, forwards of at most 1,024 positions), pinned with
`taskset`: first one child on cores 0 and 1 with `threads=2`, then two children at once, one per
core, with `threads=1`. The throughput is steps per wall second summed over the children; the
grid runner should use the faster way (distill_lib.grid: one thread a cell process, and as many
cell processes as cores, when side by side wins).

    python -m benchmarks.bench_threads [--quick] [--reps 3]

Deliberately left out: more than two cores (the machines this project measures on have two), and
the evaluation passes (decoding is bandwidth-bound in a different way; bench_cell times them).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from benchmarks import common
from distill_lib.models.precision import resolve_precision


def spawn(spec: str, cores: str, reps: int, quick: bool) -> subprocess.Popen:
    cmd = ["taskset", "-c", cores, sys.executable, "-m", "benchmarks.bench_step"]
    cmd += ["--child", spec, "--reps", str(reps)] + ["--quick"] * quick
    env = {**os.environ, "OMP_NUM_THREADS": spec.rsplit("threads=", 1)[1]}
    return subprocess.Popen(
        cmd, cwd=common.PROJECT_ROOT, env=env, stdout=subprocess.PIPE, text=True
    )


def collect(children: list[subprocess.Popen]) -> list[dict[str, Any]]:
    results = []
    for child in children:
        out, _ = child.communicate()
        lines = [line for line in out.splitlines() if line.startswith("{")]
        if child.returncode or not lines:
            raise SystemExit(f"a bench_step child failed (exit {child.returncode})")
        results.append(json.loads(lines[-1]))
    return results


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=None)
    args = p.parse_args(argv)
    reps = args.reps or (2 if args.quick else 3)
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        print(f"threads: skipped, needs two cores; this process may use {len(cores)}")
        return {}
    a, b = str(cores[0]), str(cores[1])
    base = f"{resolve_precision('auto', 'cpu')},micro=tokens:{256 if args.quick else 1024}"
    together = collect([spawn(f"{base},threads=2", f"{a},{b}", reps, args.quick)])
    apart = collect([spawn(f"{base},threads=1", core, reps, args.quick) for core in (a, b)])
    rate_together = 1 / together[0]["step_wall_s"]
    rate_apart = sum(1 / r["step_wall_s"] for r in apart)
    record = {
        "benchmark": "threads",
        "machine": common.machine(common.resolve_device("cpu")),
        "variant": base,
        "two_threads": {k: together[0][k] for k in ("step_wall_s", "step_cpu_s", "peak_rss_gb")},
        "side_by_side": [
            {k: r[k] for k in ("step_wall_s", "step_cpu_s", "peak_rss_gb")} for r in apart
        ],
        "steps_per_wall_s": {"two_threads": rate_together, "side_by_side": rate_apart},
        "faster": "side_by_side" if rate_apart > rate_together else "two_threads",
    }
    path = common.write_record("threads", record, args.out)
    walls = ", ".join(f"{r['step_wall_s']:.1f}" for r in apart)
    print(
        f"threads [{base}]: one step on 2 threads {together[0]['step_wall_s']:.1f} s wall "
        f"({rate_together * 60:.2f} steps/min); two 1-thread steps side by side {walls} s wall "
        f"({rate_apart * 60:.2f} steps/min): {record['faster'].replace('_', ' ')} is "
        f"x{max(rate_apart, rate_together) / min(rate_apart, rate_together):.2f} faster -> {path}"
    )
    return record


if __name__ == "__main__":
    main()
