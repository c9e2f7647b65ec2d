"""Training: featurization, length-grouped batching, and one accelerate loop for every paper."""
