"""Run every benchmark in sequence, each in its own process with its own CLI, and print their
summary lines.

    python -m benchmarks.run_all [--quick] [--device cuda] [--only train eval ...]

`--quick` and `--device` go to the benchmarks that have them (train, precision, eval); verify and
teacher get smaller counts in quick mode and run on the CPU whatever `--device` says (they use no
accelerator), as do the CPU ones: gemm (this machine's matmul peak on the student's shapes), step
(the real student's training step: fp32 / bf16 variants, MFU against that peak), cell (a short real
cell's cost split: load, steps, checkpoints, each evaluation pass; the full run measures it before,
at BEFORE_REF, and after, in one run), memory (RSS per phase of a cell) and threads (one step on
two threads against two one-thread steps side by side). Quick mode leaves out gemm (the step
benchmark measures the same peak and prints it), memory and threads (child processes per variant:
too slow for the minute quick mode has), and runs the cell on a tiny model, after only.
A benchmark whose file is missing is reported as skipped; one that fails is reported with its exit
code, and the others still run. Deliberately left out: comparing records across runs (each JSON
stands alone, with its machine).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from benchmarks.common import BENCH_DIR, PROJECT_ROOT

BEFORE_REF = "2122707"  # the last commit before issue #28 (cheaper cells): bench_cell's "before"

# name: (module, full-run arguments, quick arguments (None: not in quick mode), takes --device)
BENCHMARKS: dict[str, tuple[str, list[str], list[str] | None, bool]] = {
    "train": ("benchmarks.bench_train", [], ["--quick"], True),
    "precision": ("benchmarks.bench_precision", [], ["--quick"], True),
    "eval": ("benchmarks.bench_eval", [], ["--quick"], True),
    "verify": ("benchmarks.bench_verify", [], ["--n", "200", "--baseline-n", "5"], False),
    "teacher": ("benchmarks.bench_teacher", [], ["--requests", "50"], False),
    "gemm": ("benchmarks.bench_gemm", [], None, False),  # quick: the step line has the peak
    "step": ("benchmarks.bench_step", [], ["--quick"], False),
    # the full run: the short cpu cell before (BEFORE_REF) and after the cheaper-cells work
    "cell": ("benchmarks.bench_cell", ["--before", BEFORE_REF], ["--quick"], False),
    "memory": ("benchmarks.bench_memory", [], None, False),
    "threads": ("benchmarks.bench_threads", [], None, False),
}


def command(name: str, quick: bool, device: str) -> list[str]:
    module, full, small, takes_device = BENCHMARKS[name]
    extra = ["--device", device] if takes_device and device != "auto" else []
    return [sys.executable, "-m", module, *((small or []) if quick else full), *extra]


def run(name: str, quick: bool, device: str) -> tuple[str, str]:
    """(status, last output line) of one benchmark."""
    module = BENCHMARKS[name][0]
    if quick and BENCHMARKS[name][2] is None:
        return "skipped", "not in quick mode"
    if not (PROJECT_ROOT / (module.replace(".", "/") + ".py")).exists():
        return "skipped", f"{module.replace('.', '/')}.py not found (not written yet?)"
    cmd = command(name, quick, device)
    print(f"[{name}] {' '.join(cmd[1:])}", flush=True)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=PROJECT_ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        return f"FAILED (exit {proc.returncode}, {seconds:.0f}s)", " | ".join(tail)
    return f"ok ({seconds:.0f}s)", "\n    ".join(lines[-2:]) if lines else "(no output)"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--only", nargs="*", choices=list(BENCHMARKS), default=list(BENCHMARKS))
    args = p.parse_args(argv)
    failed = 0
    for name in args.only:
        status, summary = run(name, args.quick, args.device)
        failed += status.startswith("FAILED")
        print(f"[{name}] {status}: {summary}", flush=True)
    print(f"records in {BENCH_DIR.relative_to(PROJECT_ROOT)}/; {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
