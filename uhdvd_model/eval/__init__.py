"""Evaluation: metrics (metrics.py), the `uhdvd-eval` runner (evaluate.py), per-frame timing (timing.py), per-dataset
outputs (report.py) and the paper's Table 1 layout (table.py)."""
