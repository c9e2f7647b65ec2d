"""Why CQA's choice ranking sits at chance: the untrained student ranks the five choices of each
validation question under three prompt formats and three scorings, so the cause (the format, the
scoring or missing knowledge) can be told apart without touching the test split.

    python scripts/choice_formats.py [--split valid] [--limit 200] [--precision bf16]

Formats:
- `ours`: the grid's prompt (the question with its lettered choice list, a newline) and each
  choice followed by the end-of-sequence token, as `evaluate.choices.rank_choices` scores it;
- `cloze`: "Question: <the question without its choice list>\\nAnswer:" and " <choice>", the
  lighteval cloze convention under which SmolLM2's zero-shot CommonsenseQA is published;
- `chat`: the student's chat template around the grid's prompt, each choice closed by <|im_end|>.
Scorings: the sum of the continuation's token log-probabilities (`acc`), per token, and per
character of the choice's text (`acc_norm`). Prints one line per format.

Deliberately left out: trained students (their run folders are not kept) and the test split.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F

from distill_lib.config import load_config
from distill_lib.models.loading import load_student
from distill_lib.models.precision import autocast
from distill_lib.papers.index import load_splits

SCORINGS: dict[str, Callable[[float, int, str], float]] = {
    "sum": lambda logp, tokens, text: logp,
    "per token": lambda logp, tokens, text: logp / tokens,
    "per char": lambda logp, tokens, text: logp / len(text),
}


def continuation_logliks(student, prompt: str, continuations: list[str], precision: str):
    """(sum of log-probabilities, token count) of each continuation after `prompt`."""
    tok, model = student.tokenizer, student.model
    head = tok(prompt, add_special_tokens=False)["input_ids"]
    rows = [head + tok(c, add_special_tokens=False)["input_ids"] for c in continuations]
    width, pad = max(map(len, rows)), tok.pad_token_id or 0
    ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows])
    mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows])
    with torch.no_grad(), autocast(precision, "cpu"):
        logits = model(input_ids=ids, attention_mask=mask).logits.float()
    logp = F.log_softmax(logits, -1)
    out = []
    for k, row in enumerate(rows):
        targets = torch.tensor(row[len(head) :])
        positions = torch.arange(len(head) - 1, len(row) - 1)
        out.append((logp[k, positions, targets].sum().item(), len(targets)))
    return out


def formats(tok) -> dict[str, Callable[[dict], tuple[str, list[str]]]]:
    def stem(record: dict) -> str:
        return record["input"].split("\nAnswer Choices:")[0]

    def chat(record: dict) -> str:
        turn = [{"role": "user", "content": record["input"]}]
        return tok.apply_chat_template(turn, tokenize=False, add_generation_prompt=True)

    return {
        "ours": lambda r: (r["input"] + "\n", [c + tok.eos_token for c in r["choices"]]),
        "cloze": lambda r: (f"Question: {stem(r)}\nAnswer:", [" " + c for c in r["choices"]]),
        "chat": lambda r: (chat(r), [c + "<|im_end|>" for c in r["choices"]]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", default="valid", choices=["train", "valid"])
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument("--precision", default="bf16", choices=["bf16", "fp32"])
    args = parser.parse_args()
    torch.set_num_threads(1)
    cfg = load_config("configs/dss.yaml", "cpu-powered", {"data.dataset": "cqa"})
    records = list(load_splits(cfg)[args.split])[: args.limit]
    student = load_student(cfg.student)
    student.model.eval()
    started = time.time()
    for name, build in formats(student.tokenizer).items():
        right = dict.fromkeys(SCORINGS, 0)
        for record in records:
            prompt, continuations = build(record)
            scored = continuation_logliks(student, prompt, continuations, args.precision)
            gold, texts = record["choices"].index(record["label"]), record["choices"]
            for how, score in SCORINGS.items():
                values = [score(lp, n, c) for (lp, n), c in zip(scored, texts, strict=True)]
                right[how] += int(max(range(len(values)), key=values.__getitem__) == gold)
        cells = ", ".join(f"{how} {100 * k / len(records):.1f}%" for how, k in right.items())
        elapsed = time.time() - started
        print(f"{name} ({len(records)} {args.split} questions): {cells} [{elapsed:.0f} s]")


if __name__ == "__main__":
    main()
