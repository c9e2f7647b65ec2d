"""Evaluation: batched, length-sorted generation and per-task scoring.

Deliberately left out: training and metric implementations (distill_lib.metrics).
"""
