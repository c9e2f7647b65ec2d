"""Prompt templates as data: few-shot layouts for the teacher, and parsers for what the teacher
writes back.

    from distill_lib.prompts import get_template, parse_all
    template = get_template("cqa")
    messages = template.render(record)   # chat messages; render(record, chat=False): a string
    parsed, n_failed = parse_all(template, completions)

Deliberately left out: sending prompts (distill_lib.teacher) and checking answers
(distill_lib.verify).
"""

from distill_lib.prompts.parsers import Parsed, parse_all
from distill_lib.prompts.template import Template, get_template, template_names

__all__ = ["Parsed", "Template", "get_template", "parse_all", "template_names"]
