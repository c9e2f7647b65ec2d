"""Shared evaluation metrics: surface text metrics (text.py: BLEU, METEOR, BERTScore) and table
faithfulness (faithfulness.py: TAPAS / TAPEX accuracy).

Deliberately left out: the papers' task metrics and suites (papers/<paper>/scoring.py,
papers/scigen/metrics.py).
"""
