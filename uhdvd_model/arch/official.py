"""Official-compatible UHDVD (``build_model("uhdvd_official")``): reproduces the authors' released code so that
their 4KRD weights (``encoder_lv{1..4}.pkl``, ``decoder_lv{1..4}.pkl``) work unchanged.

Differences from the paper variant: 2 residual blocks per decoder stage (the paper's 3; keys as the paper variant's
with ``decoder_blocks=2``); the level-1 decoder's last deconvolution has stride 4 like every level, so it
produces 2H x 2W, which is bilinearly resized (torch defaults) to the frame's size.  Its pre-processing (8-bit PIL
resizes of the frame to a multiple of 128) lives in :func:`preprocess_blur` and :func:`build_inputs`, used by the
Deblurrer.

Bounded memory: the level-1 decoder has no global operation, so its full-resolution (2H x 2W) stages run in
overlapping row tiles (``tile_rows`` rows of its 1/2-resolution tensor, ``HALO`` extra rows each side) and the final
resize is applied per tile; the result is identical to the untiled computation (tests check it).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .uhdvd import UHDVD

HALO = 2  # rows of the 1/2-resolution input of the tiled stages (6 output rows of receptive field, tests check it)
TILE_BUDGET_BYTES = 2 << 30  # decode untiled while one 32-channel 2H x 2W float32 tensor stays below this
AUTO_TILE_ROWS = 128  # rows of the 1/2-resolution tensor per tile (512 output rows)


def bilinear_plan(in_size: int, out_size: int):
    """Source indices and weights of torch's bilinear resize (align_corners=False, no antialias) along one axis."""
    scale = np.float32(in_size) / np.float32(out_size)
    dst = np.arange(out_size, dtype=np.float32)
    src = scale * (dst + np.float32(0.5)) - np.float32(0.5)
    src = np.maximum(src, np.float32(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    lam = np.clip(src - i0.astype(np.float32), 0, 1).astype(np.float32)
    i1 = i0 + (i0 < in_size - 1)
    return i0, i1, np.float32(1) - lam, lam


def decode_resize(dec, f, x1, x2, out_size, tile_rows: int | None = None, halo: int = HALO) -> torch.Tensor:
    """``F.interpolate(dec(f, x1, x2), out_size, bilinear)`` with bounded memory.

    The decoder's low-resolution stages (1/4 and 1/2 of its input) run whole; its full-resolution stages (stride-4
    deconvolution to 2H x 2W, the x1 skip, 5 convolutions) and the final resize run in row tiles of ``tile_rows``
    rows of the 1/2-resolution tensor with ``halo`` extra rows each side.  ``tile_rows=None`` picks automatically
    (untiled while small), ``0`` forces untiled.
    """
    y = dec.low(f, x2)
    hy, wy = y.shape[-2:]
    h2, w2 = 4 * hy, 4 * wy
    if tile_rows is None:
        big = 32 * h2 * w2 * 4 * f.shape[0]
        tile_rows = 0 if big <= TILE_BUDGET_BYTES else AUTO_TILE_ROWS
    if tile_rows <= 0 or tile_rows >= hy:
        d = dec.high(y, x1)
        if tuple(d.shape[-2:]) == tuple(out_size):
            return d
        return F.interpolate(d, size=tuple(out_size), mode="bilinear", align_corners=False)
    h0, w0 = out_size
    i0, i1, l0, l1 = bilinear_plan(h2, h0)
    out = None
    for a in range(0, hy, tile_rows):
        b = min(a + tile_rows, hy)
        rows = np.nonzero((i0 >= 4 * a) & (i0 < 4 * b))[0]
        if rows.size == 0:
            continue
        ya, yb = max(a - halo, 0), min(b + max(halo, 1), hy)  # +1 row: the resize may read row 4b
        d = dec.high(y[..., ya:yb, :], x1[..., 2 * ya:2 * yb, :])
        lo, hi = int(i0[rows[0]]), int(i1[rows[-1]]) + 1  # decoder rows needed, in 2H coordinates
        d = d[..., lo - 4 * ya:hi - 4 * ya, :]
        if d.shape[-1] != w0:
            d = F.interpolate(d, size=(d.shape[-2], w0), mode="bilinear", align_corners=False)
        dev = d.device
        r0 = torch.from_numpy(i0[rows] - lo).to(dev)
        r1 = torch.from_numpy(i1[rows] - lo).to(dev)
        wa = torch.from_numpy(l0[rows]).to(dev, d.dtype).view(-1, 1)
        wb = torch.from_numpy(l1[rows]).to(dev, d.dtype).view(-1, 1)
        part = d.index_select(-2, r0) * wa + d.index_select(-2, r1) * wb
        if out is None:
            out = d.new_empty(d.shape[0], d.shape[1], h0, w0)
        out[..., int(rows[0]):int(rows[-1]) + 1, :] = part
    return out


class UHDVDOfficial(UHDVD):
    """Released-code behaviour; keys ``encoder_lv{s}.*`` / ``decoder_lv{s}.*`` = the 8 released state dicts."""

    variant = "official"

    def __init__(self, spaa: str = "auto", attention: bool = True, tile_rows: int | None = None):
        super().__init__(spaa=spaa, attention=attention, level1_stride=4, decoder_blocks=2)
        self.tile_rows = tile_rows

    def level_inputs(self, blur: torch.Tensor, prev: torch.Tensor) -> list[torch.Tensor]:
        """Tensor-only approximation of the released pre-processing (antialiased bilinear for the blurry frame,
        plain bilinear for the previous output).  The Deblurrer uses the exact 8-bit PIL path, :func:`preprocess_blur`."""
        out = [torch.cat([prev, blur], 1)]
        for k in (1, 2, 3):
            s = 0.5**k
            b = F.interpolate(blur, scale_factor=s, mode="bilinear", align_corners=False, antialias=True)
            p = F.interpolate(prev, scale_factor=s, mode="bilinear", align_corners=False)
            out.append(torch.cat([p, b], 1))
        return out

    def decode_level1(self, f, x1, x2, out_size):
        if out_size is None:
            out_size = (x1.shape[-2], x1.shape[-1])
        return decode_resize(self.decoder(1), f, x1, x2, out_size, self.tile_rows)


def round_up(v: int, m: int = 128) -> int:
    return -(-v // m) * m


def to_uint8(rgb: np.ndarray) -> np.ndarray:
    if rgb.dtype == np.uint8:
        return rgb
    if rgb.dtype == np.uint16:
        return ((rgb.astype(np.uint32) + 128) // 257).astype(np.uint8)
    raise ValueError(f"unsupported image dtype {rgb.dtype}")


def preprocess_blur(rgb: np.ndarray) -> list[np.ndarray]:
    """The released script's blurry pyramid: the 8-bit frame PIL-bilinear resized to H x W (multiples of 128,
    rounded up), then 1/2, 1/4, 1/8 PIL-bilinear resizes of that image.  Returns 4 uint8 HxWx3 arrays."""
    from PIL import Image

    rgb = to_uint8(rgb)
    h0, w0 = rgb.shape[:2]
    h, w = round_up(h0), round_up(w0)
    img = Image.fromarray(np.ascontiguousarray(rgb))
    if (w, h) != (w0, h0):
        img = img.resize((w, h), Image.BILINEAR)
    out = [np.asarray(img)]
    for k in (1, 2, 3):
        out.append(np.asarray(img.resize((w >> k, h >> k), Image.BILINEAR)))
    return out


def build_inputs(blur_levels: list[torch.Tensor], prev: torch.Tensor | None) -> list[torch.Tensor]:
    """Level inputs from the blurry pyramid (tensors in [-0.5, 0.5], finest first) and the previous output
    (B x 3 x H0 x W0, unclamped; None at clip start = the blurry H x W frame)."""
    h, w = blur_levels[0].shape[-2:]
    if prev is None:
        p = blur_levels[0]
    elif tuple(prev.shape[-2:]) != (h, w):
        p = F.interpolate(prev, size=(h, w), mode="bilinear", align_corners=False)
    else:
        p = prev
    out = [torch.cat([p, blur_levels[0]], 1)]
    for k in (1, 2, 3):
        pk = F.interpolate(p, scale_factor=0.5**k, mode="bilinear", align_corners=False)
        out.append(torch.cat([pk, blur_levels[k]], 1))
    return out
