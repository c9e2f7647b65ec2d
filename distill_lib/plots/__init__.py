"""Tables and figures rendered from metrics JSON files (never from models)."""
