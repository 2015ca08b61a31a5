"""Tiled processing with overlap and feathered (linear-ramp) blending, so large frames fit in memory without seams."""

from __future__ import annotations

from collections.abc import Callable

import torch


def tile_starts(size: int, tile: int, overlap: int) -> list[int]:
    if size <= tile:
        return [0]
    step = max(1, tile - overlap)
    starts = list(range(0, size - tile, step))
    starts.append(size - tile)
    return sorted(set(starts))


def _ramp(n: int, start: int, size: int, overlap_lo: int, overlap_hi: int, device) -> torch.Tensor:
    w = torch.ones(n, device=device)
    if start > 0 and overlap_lo > 0:
        r = torch.arange(1, overlap_lo + 1, device=device, dtype=torch.float32) / (overlap_lo + 1)
        w[:overlap_lo] = r
    if start + n < size and overlap_hi > 0:
        r = torch.arange(overlap_hi, 0, -1, device=device, dtype=torch.float32) / (overlap_hi + 1)
        w[n - overlap_hi :] = torch.minimum(w[n - overlap_hi :], r)
    return w


def _overlaps(starts: list[int], tile: int, size: int) -> list[tuple[int, int]]:
    out = []
    for k, s in enumerate(starts):
        n = min(tile, size - s)
        lo = (starts[k - 1] + min(tile, size - starts[k - 1]) - s) if k > 0 else 0
        hi = (s + n - starts[k + 1]) if k + 1 < len(starts) else 0
        out.append((max(0, lo), max(0, hi)))
    return out


def tiled(fn: Callable[..., torch.Tensor], inputs: list[torch.Tensor], tile: int, overlap: int,
          out_channels: int = 3) -> torch.Tensor:
    """Apply fn(*crops) -> (B,out_channels,h,w) over overlapping tiles of inputs (B,C,H,W) and blend."""
    b, _, height, width = inputs[0].shape
    if tile <= 0 or (height <= tile and width <= tile):
        return fn(*inputs)
    overlap = min(overlap, tile // 2)
    ys, xs = tile_starts(height, tile, overlap), tile_starts(width, tile, overlap)
    oy, ox = _overlaps(ys, tile, height), _overlaps(xs, tile, width)
    dev = inputs[0].device
    acc = torch.zeros((b, out_channels, height, width), device=dev, dtype=torch.float32)
    wsum = torch.zeros((1, 1, height, width), device=dev, dtype=torch.float32)
    for y, (ylo, yhi) in zip(ys, oy):
        th = min(tile, height - y)
        wy = _ramp(th, y, height, ylo, yhi, dev)
        for x, (xlo, xhi) in zip(xs, ox):
            tw = min(tile, width - x)
            wx = _ramp(tw, x, width, xlo, xhi, dev)
            out = fn(*[t[:, :, y : y + th, x : x + tw] for t in inputs]).float()
            wgt = (wy[:, None] * wx[None, :])[None, None]
            acc[:, :, y : y + th, x : x + tw] += out * wgt
            wsum[:, :, y : y + th, x : x + tw] += wgt
    return acc / wsum
