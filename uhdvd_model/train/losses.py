"""UHDVD loss (paper eq. 5-6): MSE at each scale output, weighted 0.7/0.15/0.1/0.05, plus beta * total variation.

Targets for the coarser outputs are area-downsampled sharp frames (exact box averages for the 2x/4x/8x scales,
i.e. antialiased). TV is the mean squared difference of neighbouring pixels of the finest output, summed over the two
directions. A network with a single output (DMPHN) gets weight 1 on it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

PAPER_WEIGHTS = (0.7, 0.15, 0.1, 0.05)


def resize_target(target: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    if tuple(target.shape[-2:]) == tuple(size):
        return target
    return F.interpolate(target, size=size, mode="area")


def tv_loss(x: torch.Tensor) -> torch.Tensor:
    dy = x[..., 1:, :] - x[..., :-1, :]
    dx = x[..., :, 1:] - x[..., :, :-1]
    return dy.pow(2).mean() + dx.pow(2).mean()


def multiscale_loss(outs: list[torch.Tensor], target: torch.Tensor, weights=PAPER_WEIGHTS,
                    tv_weight: float = 1e-7) -> tuple[torch.Tensor, dict]:
    """Total loss and its parts (floats) for one frame. outs: finest first."""
    weights = list(weights)[: len(outs)] if len(outs) > 1 else [1.0]
    parts = {}
    total = 0.0
    for s, (o, w) in enumerate(zip(outs, weights)):
        mse = F.mse_loss(o.float(), resize_target(target, o.shape[-2:]).float())
        parts[f"mse{s + 1}"] = mse.detach()
        total = total + w * mse
    tv = tv_loss(outs[0].float())
    parts["tv"] = tv.detach()
    total = total + tv_weight * tv
    return total, parts
