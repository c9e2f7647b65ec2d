"""Students: loading by hub id, local dir, pip-shipped GGUF, or tiny models built from a config.

Deliberately left out: how records become targets (distill_lib.methods) and device placement (the
trainer).
"""
