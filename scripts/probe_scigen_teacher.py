"""Can a local model write SciGen table reasoning in the teacher template's layout? A probe, not a
stage: the `scigen_reasoning` one-shot prompt as plain text (no chat template), ending in
`Description:` so that a base model continues the layout, greedy decoding with a repetition penalty
of 1.1, for a few few-shot training tables; prints each continuation.

    python scripts/probe_scigen_teacher.py pip:gemma3-270m [--tables 3 7 11] [--new-tokens 220]

Deliberately left out: parsing and scoring (the teacher stage does both); a verdict (read the text).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
import yaml

from distill_lib.config_sections import StudentConfig
from distill_lib.models.loading import load_student
from distill_lib.papers.scigen.data import load_scigen

TEMPLATE = Path(__file__).parents[1] / "distill_lib/papers/scigen/templates/scigen_reasoning.yaml"


def one_shot_head() -> str:
    """The template's instruction and its worked example, as one plain-text block."""
    template = yaml.safe_load(TEMPLATE.read_text())
    example = template["exemplars"][0]
    triples = "\n".join(
        f"Reasoning {k}: {t['reasoning']}\nStatement {k}: {t['statement']}\n"
        f"Verification {k}: {t['verification']}"
        for k, t in enumerate(example["triples"], 1)
    )
    return (
        f"{template['instruction']}\n\nTable: {example['input']}\n"
        f"Description: {example['label']}\n{triples}\n\n"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", help="pip:smollm2, pip:gemma3-270m or a local model dir")
    p.add_argument("--tables", type=int, nargs="*", default=[3, 7, 11])
    p.add_argument("--new-tokens", type=int, default=220)
    args = p.parse_args()
    torch.set_num_threads(1)
    student = load_student(StudentConfig(name=args.model, kind="causal"))
    student.model.eval()
    head, train = one_shot_head(), load_scigen("train", None, "few-shot")
    for i in args.tables:
        prompt = f"{head}Table: {train[i]['input']}\nDescription:"
        ids = student.tokenizer(prompt, return_tensors="pt").input_ids[:, -3000:]
        started = time.time()
        with torch.no_grad():
            out = student.model.generate(
                ids, max_new_tokens=args.new_tokens, do_sample=False, repetition_penalty=1.1
            )
        text = student.tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True)
        print(
            f"===== {args.model} table {i} ({ids.shape[1]} prompt tokens, "
            f"{time.time() - started:.0f} s)\n{text}\n",
            flush=True,
        )


if __name__ == "__main__":
    main()
