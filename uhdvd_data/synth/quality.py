"""Per-pair quality measurements: arrays in, numbers out (run inside `synthesize` and `build` by synth.quality_run).

* Interpolation self-check (`self_check`): the captured frame i that a pair uses as its sharp target is predicted
  from its captured neighbours i-1 and i+1 at t = 1/2 by the run's own interpolation method (same method, motion and
  trajectory; the captured frames i-3 and i+3 play the part of the neighbouring pairs, as i-2 and i+1 do for a real
  pair), then compared with frame i: `check_psnr` (RGB, dB, data range of the bit depth: 255 or 65535, capped at
  PSNR_CAP for identical frames) and `check_ssim` (scikit-image `structural_similarity`, Gaussian window sigma 1.5,
  use_sample_covariance=False, channel_axis=-1, data range of the bit depth: the convention of
  uhdvd_model.eval.metrics; uhdvd_data has no SSIM of its own). The check runs on copies area-downscaled to half
  the frame's long side, at most CHECK_MAX_SIDE px (`check_side`): its cost is then about one interpolated frame per
  pair (a new pair motion at full size costs about five), and the ranking of windows is kept (docs/bench_synth.md:
  at half size as at full size; at 4K the real run estimates its motion at 1024 px anyway). Pessimistic by design:
  the neighbours are two frame intervals apart, twice the real gap.
* Target sharpness (`sharpness`): variance of the 3x3 Laplacian of the BT.709 luma in 8-bit units, at full
  resolution; `relative` divides by the clip's median, so 1.0 is typical for that clip.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import cv2
import numpy as np

CHECK_MAX_SIDE = 1024  # px, long side of the self-check's frames (at most; half the frame's long side below 2048)
CHECK_MIN_SIDE = 64  # ... and at least this (frames smaller than it are checked as they are)
PSNR_CAP = 100.0
T_CHECK = 0.5
COLUMNS = ("check_psnr", "check_ssim", "target_sharpness", "target_sharpness_raw")
RANGES = {"check_psnr": (0.0, PSNR_CAP), "check_ssim": (-1.0, 1.0), "target_sharpness": (0.0, math.inf),
          "target_sharpness_raw": (0.0, math.inf)}
# why a pair has no self-check: a neighbour beyond the clip's ends, across a scene cut, a centre that is not a captured
# frame (--center any), or 480 fps frames not made by a method the check can rebuild (e.g. true high-speed footage)
EMPTY_REASONS = ("clip_end", "cut", "not_captured", "no_method")
FILTERS = ("check_psnr", "sharpness")  # why a pair is dropped (in this order: a pair failing both counts once)


def max_value(dtype: np.dtype) -> float:
    """Data range of a frame's code values (255 for uint8, 65535 for uint16, 1.0 for floats)."""
    return float(np.iinfo(dtype).max) if np.issubdtype(dtype, np.integer) else 1.0


def check_side(long_side: int) -> int:
    """Long side of the self-check's frames: half the frame's, within [CHECK_MIN_SIDE, CHECK_MAX_SIDE] (never more
    than the frame's own)."""
    return min(long_side, CHECK_MAX_SIDE, max(CHECK_MIN_SIDE, (long_side + 1) // 2))


def downscale(img: np.ndarray, max_side: int | None = None) -> np.ndarray:
    """Area-downscaled copy with long side <= max_side (default: check_side); the array itself when small enough."""
    h, w = img.shape[:2]
    max_side = check_side(max(h, w)) if max_side is None else max_side
    if max(h, w) <= max_side:
        return img
    f = max_side / max(h, w)
    return cv2.resize(img, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)


def psnr(pred: np.ndarray, target: np.ndarray) -> float:
    """RGB PSNR in dB with the data range of target's dtype; PSNR_CAP when identical (or closer)."""
    if pred.shape != target.shape:
        raise ValueError(f"image sizes differ: {pred.shape} vs {target.shape}")
    mse = float(np.mean((pred.astype(np.float64) - target.astype(np.float64)) ** 2))
    if mse == 0:
        return PSNR_CAP
    return min(PSNR_CAP, 10.0 * math.log10(max_value(target.dtype) ** 2 / mse))


def ssim(pred: np.ndarray, target: np.ndarray) -> float | None:
    """Gaussian-window SSIM averaged over R, G, B; None for frames under 11 px (the window's size)."""
    from skimage.metrics import structural_similarity

    if min(target.shape[:2]) < 11:
        return None
    return float(structural_similarity(pred, target, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                       channel_axis=-1, data_range=max_value(target.dtype)))


def sharpness(rgb: np.ndarray) -> float:
    """Variance of the 3x3 Laplacian (4-neighbour) of the BT.709 luma, in 8-bit units squared."""
    x = rgb.astype(np.float32) * np.float32(255.0 / max_value(rgb.dtype))
    y = 0.2126 * x[..., 0] + 0.7152 * x[..., 1] + 0.0722 * x[..., 2]
    return float(np.var(cv2.Laplacian(y, cv2.CV_32F, ksize=1), dtype=np.float64))


def neighbours(i: int, segment_of: Callable[[int], int | None]) -> tuple[tuple[int | None, int, int, int | None] | None,
                                                                        str | None]:
    """((i-3 or None, i-1, i+1, i+3 or None), None) for the self-check of captured frame i, or (None, reason) when
    i-1 or i+1 is missing ("clip_end") or lies in another scene segment ("cut"). segment_of(j) is the segment of
    captured frame j, None when the clip has no frame j."""
    seg = segment_of(i)
    prev, nxt = segment_of(i - 1), segment_of(i + 1)
    if prev is None or nxt is None:
        return None, "clip_end"
    if prev != seg or nxt != seg:
        return None, "cut"
    before = i - 3 if segment_of(i - 3) == seg else None
    after = i + 3 if segment_of(i + 3) == seg else None
    return (before, i - 1, i + 1, after), None


def self_check(method, prev: np.ndarray, nxt: np.ndarray, target: np.ndarray, before: np.ndarray | None = None,
               after: np.ndarray | None = None) -> tuple[float, float | None]:
    """(check_psnr, check_ssim) of `method`'s frame at t = 1/2 between prev and nxt against target (all the same
    size and dtype; before/after are the captured frames beyond prev/nxt, or None)."""
    st = method.prepare(prev, nxt, before=before, after=after)
    pred = method.frame(st, T_CHECK)
    return psnr(pred, target), ssim(pred, target)


def relative(raw: Sequence[float | None]) -> list[float | None]:
    """Each value / the median of the finite values (None stays None); all 1.0 when the median is 0 (flat clip)."""
    vals = [v for v in raw if v is not None and math.isfinite(v)]
    if not vals:
        return [None] * len(raw)
    med = float(np.median(np.asarray(vals, dtype=np.float64)))
    if med <= 0:
        return [None if v is None else 1.0 for v in raw]
    return [None if v is None else v / med for v in raw]


def failed_filter(check_psnr: float | None, rel_sharpness: float | None, min_check_psnr: float | None,
                  min_sharpness: float | None) -> str | None:
    """The first filter (FILTERS order) a pair fails, else None; empty values pass every filter."""
    if min_check_psnr is not None and check_psnr is not None and check_psnr < min_check_psnr:
        return "check_psnr"
    if min_sharpness is not None and rel_sharpness is not None and rel_sharpness < min_sharpness:
        return "sharpness"
    return None


def spearman(a: Sequence[float], b: Sequence[float]) -> float:
    """Spearman rank correlation (average ranks for ties); NaN for fewer than 3 pairs or a constant input."""
    from scipy.stats import spearmanr

    if len(a) < 3:
        return math.nan
    r = spearmanr(np.asarray(a, np.float64), np.asarray(b, np.float64)).statistic
    return float(r)
