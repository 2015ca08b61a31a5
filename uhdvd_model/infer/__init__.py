"""Inference: :class:`~uhdvd_model.infer.deblurrer.Deblurrer` and video / folder streaming."""
