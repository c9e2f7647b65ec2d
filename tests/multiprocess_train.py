"""Trains a tiny causal model a few steps on equal-length rows and saves its weights; run by
tests/test_multiprocess.py both plainly and under `accelerate launch --multi_gpu --num_processes 2`
(a gloo group on the CPU).

    python tests/multiprocess_train.py OUT_DIR PER_DEVICE_BATCH

Every checkpoint and best-weights folder the run swaps in (train.checkpoints._swap_in) is logged
with the index of the process that wrote it (OUT_DIR/writes-<rank>.txt), so the test can check that
one process writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

from distill_lib.config_sections import TrainConfig
from distill_lib.models.tiny import tiny_causal, train_tokenizer
from distill_lib.train import checkpoints
from distill_lib.train.loop import process_state, train

out, per_device = Path(sys.argv[1]), int(sys.argv[2])
state = process_state()
out.mkdir(parents=True, exist_ok=True)
(out / f"process-{state.process_index}-of-{state.num_processes}").touch()
writes = out / f"writes-{state.process_index}.txt"
original_swap = checkpoints._swap_in


def logged_swap(tmp: Path, target: Path) -> None:
    with open(writes, "a") as log:
        log.write(f"{target.name}\n")
    original_swap(tmp, target)


checkpoints._swap_in = logged_swap
tokenizer = train_tokenizer(
    [f"word{i} number {i} plus {i * 3}" for i in range(300)], vocab_size=300
)
generator = torch.Generator().manual_seed(0)
features = []
# two rows per record, every row the same length: per-task means are shard-independent
for _ in range(32):
    prompt = torch.randint(10, 250, (10,), generator=generator).tolist()
    rows = []
    for task in (0, 1):
        target = torch.randint(10, 250, (5,), generator=generator).tolist()
        rows.append({"input_ids": prompt + target, "labels": [-100] * 10 + target, "task": task})
    features.append(rows)
cfg = TrainConfig(
    lr=1e-2,
    global_batch_size=8,
    per_device_batch_size=per_device,
    max_steps=4,
    eval_every=2,
    log_every=1,
    seed=0,
    precision="fp32",
    group_by_length=False,
)
model, _ = train(
    tiny_causal(tokenizer), tokenizer, False, features, [0.5, 0.5], lambda m: 0.0, cfg, out / "run"
)
if state.is_main_process:
    torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, out / "weights.pt")
