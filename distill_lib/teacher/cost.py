"""Token counts and dollars: a per-model price table, a summary after a run and an estimate before
it.

Prices are USD per 1M tokens (input, output), OpenAI list prices for standard (non-batch) requests
as of 2025; `TeacherConfig.prices` overrides or extends them (`{"my-model": {"input": 1.0, "output":
2.0}}`). Models not in the table (local servers) cost 0, and the summary says so. Prompt tokens are
counted with tiktoken when it is installed, else estimated as characters / 4; completion tokens are
bounded by max_tokens for the estimate.

Deliberately left out: cached-input discounts and the Batch API's 50% discount (noted, not applied).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

PRICES_PER_MILLION: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-3.5-turbo": (0.50, 1.50),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
}


@dataclass(frozen=True)
class Price:
    input: float  # USD per 1M prompt tokens
    output: float  # USD per 1M completion tokens

    def dollars(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.input + completion_tokens * self.output) / 1e6


def price_for(model: str, overrides: dict[str, Any] | None = None) -> Price | None:
    """The price of `model` (dated snapshots like gpt-4o-2024-08-06 use their family's price), else
    None."""
    table = {name: Price(*pair) for name, pair in PRICES_PER_MILLION.items()}
    for name, value in (overrides or {}).items():
        if not isinstance(value, dict) or not {"input", "output"} <= set(value):
            raise ValueError(
                f"teacher.prices['{name}'] must be a mapping with 'input' and 'output' (USD per 1M)"
            )
        table[name] = Price(float(value["input"]), float(value["output"]))
    if model in table:
        return table[model]
    family = max((name for name in table if model.startswith(name + "-")), key=len, default=None)
    return table[family] if family else None


def cost_summary(
    model: str, prompt_tokens: int, completion_tokens: int, overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    price = price_for(model, overrides)
    if price is None:
        return {
            "usd": 0.0,
            "note": f"no price for '{model}' (local or unknown model): counted as $0",
        }
    return {
        "usd": round(price.dollars(prompt_tokens, completion_tokens), 6),
        "note": f"${price.input}/1M input, ${price.output}/1M output",
    }


@cache
def _tiktoken_encoder() -> Any:
    """o200k_base when tiktoken and its encoding file are available (it downloads on first use),
    else None."""
    try:
        import tiktoken

        return tiktoken.get_encoding("o200k_base")
    except Exception:
        return None


def count_tokens(text: str) -> int:
    encoder = _tiktoken_encoder()
    return len(encoder.encode(text)) if encoder else max(1, len(text) // 4)


def estimate_cost(
    model: str,
    prompts: Iterable[Any],
    max_tokens: int,
    n: int = 1,
    overrides: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Upper-bound estimate before a run: prompt tokens counted, every sample assumed to reach
    max_tokens."""
    prompts = list(prompts)
    prompt_tokens = sum(count_tokens(p if isinstance(p, str) else json.dumps(p)) for p in prompts)
    completion_tokens = len(prompts) * n * max_tokens
    return {
        "prompts": len(prompts),
        "prompt_tokens": prompt_tokens,
        "max_completion_tokens": completion_tokens,
        **cost_summary(model, prompt_tokens, completion_tokens, overrides),
    }
