"""Evaluation: metrics (metrics.py) and the `uhdvd-eval` runner (evaluate.py)."""
