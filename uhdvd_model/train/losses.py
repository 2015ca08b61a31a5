"""UHDVD loss (paper eq. 5-6): MSE at each scale output, weighted 0.7/0.15/0.1/0.05, plus beta * total variation.

Targets for the coarser outputs are area-downsampled sharp frames (exact box averages for the 2x/4x/8x scales,
i.e. antialiased). A network with a single output (DMPHN) gets weight 1 on it.

Total variation: the paper writes ``beta * L_TV`` with beta = 1e-7 and does not define L_TV; the MSE of eq. 5 is a
mean (divided by C*H*W), the TV term is not. The released training script computes the anisotropic L1 TV as a
*sum* over the finest output (``sum |x[:, :, :, 1:] - x[:, :, :, :-1]| + sum |x[:, :, 1:] - x[:, :, :-1]|``) with
weight 3.5e-8, on 512x512 crops. We compute that sum per image (mean over the batch) and scale it to a 512x512 crop
(``* 512*512 / (H*W)``), so beta weighs the term the same way at any crop size as at the paper's crop. A mean instead
of a sum (our earlier code) made the term ~1e-6 of the MSE: it did nothing; at the released 3.5e-8 or the paper's 1e-7
the sum moves the loss minimum away from the ground truth on 4K crops, hence the default 5e-9 (TrainConfig;
measurements in docs/bench_train.md).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

PAPER_WEIGHTS = (0.7, 0.15, 0.1, 0.05)
TV_AREA = 512 * 512  # the paper's training crop: beta applies to the TV sum over an area this size


def resize_target(target: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    if tuple(target.shape[-2:]) == tuple(size):
        return target
    return F.interpolate(target, size=size, mode="area")


def tv_loss(x: torch.Tensor) -> torch.Tensor:
    """Anisotropic L1 total variation summed over channels and pixels, per image at 512x512 scale, batch mean."""
    dy = (x[..., 1:, :] - x[..., :-1, :]).abs().sum(dim=(-3, -2, -1))
    dx = (x[..., :, 1:] - x[..., :, :-1]).abs().sum(dim=(-3, -2, -1))
    h, w = x.shape[-2:]
    return (dy + dx).mean() * (TV_AREA / (h * w))


def multiscale_loss(outs: list[torch.Tensor], target: torch.Tensor, weights=PAPER_WEIGHTS,
                    tv_weight: float = 1e-7) -> tuple[torch.Tensor, dict]:
    """Total loss and its parts (detached tensors) for one frame. outs: finest first."""
    weights = list(weights)[: len(outs)] if len(outs) > 1 else [1.0]
    parts = {}
    total = 0.0
    for s, (o, w) in enumerate(zip(outs, weights)):
        mse = F.mse_loss(o.float(), resize_target(target, o.shape[-2:]).float())
        parts[f"mse{s + 1}"] = mse.detach()
        total = total + w * mse
    tv = tv_loss(outs[0].float())
    parts["tv"] = tv.detach()
    parts["tv_term"] = (tv_weight * tv).detach()
    total = total + tv_weight * tv
    return total, parts
