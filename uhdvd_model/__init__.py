"""uhdvd_model: the UHDVD deblurring network (paper and official-compatible variants), DMPHN baseline,
training, evaluation and video deblurring."""

__version__ = "0.1.0"
