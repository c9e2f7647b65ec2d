"""Training: featurization, length-grouped batching, and one accelerate loop for every paper.

Deliberately left out: which paper or dataset is trained, and scoring.
"""
