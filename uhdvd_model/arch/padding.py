"""Pad frames to a multiple of the model's size (replicate or reflect) and crop back — never resize."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def pad_amounts(h: int, w: int, multiple: int) -> tuple[int, int]:
    return (-h) % multiple, (-w) % multiple


def pad_to_multiple(x: torch.Tensor, multiple: int, mode: str = "replicate") -> tuple[torch.Tensor, tuple[int, int]]:
    """Pad bottom/right of ``x`` (B x C x H x W) to multiples of ``multiple``; returns (padded, (H, W))."""
    h, w = x.shape[-2:]
    ph, pw = pad_amounts(h, w, multiple)
    if ph == 0 and pw == 0:
        return x, (h, w)
    if mode == "reflect" and (ph >= h or pw >= w):
        mode = "replicate"  # reflect needs the pad to be smaller than the frame
    return F.pad(x, (0, pw, 0, ph), mode=mode), (h, w)


def crop(x: torch.Tensor, hw: tuple[int, int]) -> torch.Tensor:
    return x[..., : hw[0], : hw[1]]


def forward_padded(model, blur: torch.Tensor, prev: torch.Tensor | None = None, mode: str = "replicate"):
    """Run a model on any frame size: pad to ``model.size_multiple``, crop every output back (output s at
    ``ceil(H/2^(s-1))``)."""
    m = model.size_multiple
    b, hw = pad_to_multiple(blur, m, mode)
    p = None if prev is None else pad_to_multiple(prev, m, mode)[0]
    outs = model(b, p)
    return [crop(o, (-(-hw[0] // 2**k), -(-hw[1] // 2**k))) for k, o in enumerate(outs)]
