"""From examples to requests: examples checked (an id and an input, ids unique), prompts rendered
with the template, prompts over `max_prompt_tokens` set aside with their size, the upper-bound cost
estimate, and one cache-keyed job per prompt.

Deliberately left out: sending (distill_lib.teacher.runner, .client) and the rows written from the
answers (distill_lib.teacher.generate).
"""

from __future__ import annotations

from typing import Any

from distill_lib.config_sections import TeacherConfig
from distill_lib.prompts import Template, get_template
from distill_lib.teacher.cache import request_key
from distill_lib.teacher.cost import count_tokens, estimate_cost
from distill_lib.teacher.runner import Job


def checked_examples(examples: list[dict[str, Any]], limit: int | None) -> list[dict[str, Any]]:
    examples = list(examples)[:limit] if limit is not None else list(examples)
    seen: set[str] = set()
    for i, example in enumerate(examples):
        for name in ("id", "input"):
            if name not in example:
                raise ValueError(
                    f"teacher examples, row {i}: field '{name}' is missing (fields: "
                    f"{sorted(example)})"
                )
        if str(example["id"]) in seen:
            raise ValueError(f"teacher examples, row {i}: duplicate id '{example['id']}'")
        seen.add(str(example["id"]))
    return examples


def render_prompts(
    cfg: TeacherConfig,
    template: Template,
    examples: list[dict[str, Any]],
    demo: dict[str, Any] | None,
) -> list[list[dict[str, str]] | str]:
    return [template.render(example, demo, chat=cfg.chat) for example in examples]


def prompt_tokens(prompt: list[dict[str, str]] | str) -> int:
    """Tokens of a rendered prompt (tiktoken when installed, else characters / 4:
    teacher.cost.count_tokens)."""
    text = prompt if isinstance(prompt, str) else "\n".join(m["content"] for m in prompt)
    return count_tokens(text)


def within_prompt_limit(
    cfg: TeacherConfig, examples: list[dict[str, Any]], prompts: list[Any]
) -> tuple[list[dict[str, Any]], list[Any], list[dict[str, Any]]]:
    """(examples, prompts) whose prompt fits `cfg.max_prompt_tokens`, and the ones left out with
    their size."""
    if cfg.max_prompt_tokens is None:
        return examples, prompts, []
    sizes = [prompt_tokens(p) for p in prompts]
    keep = [i for i, size in enumerate(sizes) if size <= cfg.max_prompt_tokens]
    skipped = [
        {"id": str(examples[i]["id"]), "prompt_tokens": sizes[i]}
        for i in range(len(examples))
        if sizes[i] > cfg.max_prompt_tokens
    ]
    return [examples[i] for i in keep], [prompts[i] for i in keep], skipped


def estimate(
    cfg: TeacherConfig,
    examples: list[dict[str, Any]],
    demo: dict[str, Any] | None = None,
    model: str | None = None,
) -> dict[str, Any]:
    """Upper-bound cost of sending these examples (before the cache is consulted)."""
    template = get_template(cfg.template)
    prompts = render_prompts(cfg, template, checked_examples(examples, cfg.limit), demo)
    return estimate_cost(model or cfg.model, prompts, cfg.max_tokens, cfg.n, cfg.prices)


def make_jobs(
    cfg: TeacherConfig,
    template: Template,
    model: str,
    prompts: list[Any],
    options: dict[str, Any] | None = None,
) -> list[Job]:
    """One job per prompt; `options` (extra_body, response_format) enter the keys only when there
    are any."""
    stop = sorted(set(template.stop) | set(cfg.stop))
    base = {
        "model": model,
        "mode": "chat" if cfg.chat else "completion",
        "temperature": cfg.temperature,
        "max_tokens": cfg.max_tokens,
        "stop": stop,
        "template": template.name,
        "template_version": template.version,
    }
    if options:
        base["options"] = options
    return [
        Job(
            index=i,
            prompt=prompt,
            keys=[request_key({**base, "prompt": prompt, "sample": s}) for s in range(cfg.n)],
        )
        for i, prompt in enumerate(prompts)
    ]


def request_options(
    extra_body: dict[str, Any] | None, response_format: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        name: value
        for name, value in (("extra_body", extra_body), ("response_format", response_format))
        if value is not None
    }
