"""Evaluation: batched, length-sorted generation and per-task scoring."""
