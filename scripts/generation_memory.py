"""What batched greedy generation does to a process's resident memory, with and without heap trims:
SmolLM2-135M-Instruct (as the project loads it) decodes `--prompts` SVAMP prompts in batches of 64
for `--new-tokens` tokens each, every row running to the budget (no end-of-sequence token: the
worst case, a trained math student's long chains of thought), bf16 autocast where native.

Variants, each in its own child process: `none` (generate_texts' trim after each batch switched
off), `batch` (that trim, as the library runs it), `steps` (also every 32 decode steps, through the
cache's update). Prints each
variant's peak RSS and its RSS after each batch, and CPU seconds.

    python scripts/generation_memory.py [--prompts 192] [--new-tokens 224] [--variants none batch]

One torch thread; pin it (`taskset -c 1`). A lab script, not a benchmark: the evidence behind the
trims in distill_lib.evaluate.generate.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from typing import Any

from distill_lib.train.heap import PeakRss, resident_gb, trim_heap


def child(variant: str, prompts: int, new_tokens: int) -> dict[str, Any]:
    import torch
    from transformers import DynamicCache

    from distill_lib.config_sections import EvalConfig, MethodConfig, StudentConfig
    from distill_lib.evaluate import generate
    from distill_lib.models.loading import load_student
    from distill_lib.models.precision import resolve_precision
    from distill_lib.papers.dss.data import load_dss
    from distill_lib.papers.index import build_method

    torch.set_num_threads(1)
    student = load_student(StudentConfig(name="pip:smollm2", kind="causal"))
    student.model.generation_config.eos_token_id = student.model.config.vocab_size - 1
    method = build_method(MethodConfig(name="dss"))
    rows = [method.prompt(r, "rationale") for r in list(load_dss("svamp")["test"])[:prompts]]
    rss, after = PeakRss(), []

    def trim_then_record() -> None:  # generate_texts calls this once after each batch
        if variant != "none":
            trim_heap()
        after.append(round(resident_gb(), 2))

    generate.trim_heap = trim_then_record
    if variant == "steps":
        update, calls = DynamicCache.update, [0]

        def update_then_trim(self: Any, *args: Any, **kwargs: Any) -> Any:
            calls[0] += 1
            if calls[0] % (32 * len(self.layers)) == 0:
                trim_heap()
            return update(self, *args, **kwargs)

        DynamicCache.update = update_then_trim
    trim_heap()
    base, started = resident_gb(), time.process_time()
    rss.reset()
    settings = EvalConfig(batch_size=64, max_new_tokens=new_tokens)
    generate.generate_texts(student, rows, settings, 256, resolve_precision("auto"), False)
    return {
        "variant": variant,
        "base_gb": round(base, 2),
        "peak_gb": round(rss.peak, 2),
        "after_each_batch_gb": after,
        "cpu_s": round(time.process_time() - started, 1),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--prompts", type=int, default=192)
    p.add_argument("--new-tokens", type=int, default=224)
    p.add_argument("--variants", nargs="+", default=["none", "batch", "steps"])
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.prompts, args.new_tokens)))
        return
    for variant in args.variants:
        cmd = [sys.executable, __file__, "--child", variant]
        cmd += ["--prompts", str(args.prompts), "--new-tokens", str(args.new_tokens)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        print(lines[-1] if lines else f"{variant} failed: {done.stderr[-1500:]}", flush=True)


if __name__ == "__main__":
    main()
