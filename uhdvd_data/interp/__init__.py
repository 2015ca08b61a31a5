"""Frame interpolation to high frame rates (adaptive separable convolution network + classical baselines)."""
