"""Tables and figures rendered from metrics JSON files.

Deliberately left out: anything that needs a model or a run in progress.
"""
