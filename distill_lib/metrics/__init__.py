"""Evaluation metrics: surface text metrics (text.py), table faithfulness (faithfulness.py), the SciGen suite.

Deliberately left out: task accuracy metrics of the other papers (they live with their datasets' code).
"""

from distill_lib.metrics.faithfulness import tapas_acc, tapex_acc
from distill_lib.metrics.scigen import score_scigen
from distill_lib.metrics.text import MetricResult, bertscore, bleu, meteor

__all__ = ["MetricResult", "bertscore", "bleu", "meteor", "score_scigen", "tapas_acc", "tapex_acc"]
