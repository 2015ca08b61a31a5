"""Blur length in pixels: how far scene points travel during a window's exposure (manifest `blur_px_p50/p95`).

Measured afresh on the window's first and last frames (the ends of the exposure): DIS optical flow from the first to
the last frame at a reduced resolution (long side <= MAX_SIDE, the vectors scaled back to full-resolution pixels);
the length of each vector is the straight-line distance a point covers, a lower bound of its path (a point that
turns within 13/480 s travels slightly further). p50 and p95 over all pixels of the frame. Deterministic (OpenCV DIS,
fixed preset), independent of the interpolation method, so the same footage gives the same numbers whichever
method made the frames.
"""

from __future__ import annotations

import numpy as np

MAX_SIDE = 640  # flow resolution: blur lengths of interest are several pixels at 4K, tens at the flow scale
COLUMNS = ("blur_px_p50", "blur_px_p95")
RANGES = {c: (0.0, float("inf")) for c in COLUMNS}


def blur_lengths(first: np.ndarray, last: np.ndarray, max_side: int = MAX_SIDE) -> np.ndarray:
    """Per-pixel travel (px at full resolution) between two frames (HxWx3 uint8/uint16), at the flow resolution."""
    import cv2

    from ..interp import flow as fl

    h, w = first.shape[:2]
    scale = fl.flow_scale((h, w), max_side)
    g0, g1 = (fl.downscale(cv2.cvtColor(np.ascontiguousarray(fl.as_uint8(x)), cv2.COLOR_RGB2GRAY), scale)
              for x in (first, last))
    f = cv2.DISOpticalFlow_create(fl.PRESETS["medium"]).calc(g0, g1, None).astype(np.float64)
    sy, sx = h / g0.shape[0], w / g0.shape[1]
    return np.hypot(f[..., 0] * sx, f[..., 1] * sy)


def blur_px(first: np.ndarray, last: np.ndarray) -> tuple[float, float]:
    """(p50, p95) of the blur length in full-resolution pixels, rounded to 0.01 px."""
    d = blur_lengths(first, last)
    p50, p95 = np.percentile(d, [50, 95])
    return round(float(p50), 2), round(float(p95), 2)
