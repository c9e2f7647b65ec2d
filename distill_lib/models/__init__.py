"""Students: loading by hub id, local dir, pip-shipped GGUF, or tiny models built from a config."""
