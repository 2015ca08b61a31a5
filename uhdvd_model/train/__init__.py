"""UHDVD training: config, losses, EMA, checkpoints, DDP set-up and the training loop."""
