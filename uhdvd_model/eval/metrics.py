"""Image-quality metrics with stated conventions (GoPro/REDS style).

- PSNR: RGB, 8-bit images exactly as saved (outputs rounded to uint8), no border crop, data range 255.
  Identical images give +inf.
- SSIM (RGB): scikit-image `structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
  channel_axis=-1, data_range=255)`, i.e. per-channel Gaussian-weighted SSIM averaged over R, G, B.
- SSIM (Y): the same Gaussian SSIM on BT.601 luma as MATLAB `rgb2ycbcr` computes it for uint8 images:
  Y = round(16 + (65.481 R + 128.553 G + 24.966 B) / 255), range [16, 235], data range 255.
"""

from __future__ import annotations

import math

import numpy as np

CONVENTIONS = ("PSNR: RGB, 8-bit as saved (rounded), no border crop, data range 255 (GoPro/REDS). "
               "SSIM: skimage structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False, "
               "channel_axis=-1, data_range=255) on RGB; SSIM-Y: same on BT.601 Y as MATLAB rgb2ycbcr (uint8).")


def to_uint8(img: np.ndarray) -> np.ndarray:
    """uint8 as is; uint16 -> uint8 with round half up (as an 8-bit save would); floats in [0,1] likewise."""
    if img.dtype == np.uint8:
        return img
    if img.dtype == np.uint16:
        return np.clip(np.floor(img.astype(np.float64) * (255.0 / 65535.0) + 0.5), 0, 255).astype(np.uint8)
    return np.clip(np.floor(img.astype(np.float64) * 255.0 + 0.5), 0, 255).astype(np.uint8)


def _check(a: np.ndarray, b: np.ndarray) -> None:
    if a.shape != b.shape:
        raise ValueError(f"image sizes differ: {a.shape} vs {b.shape}")


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB of two uint8 images (data range 255); inf when identical."""
    a, b = to_uint8(a), to_uint8(b)
    _check(a, b)
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    if mse == 0:
        return math.inf
    return 10.0 * math.log10(255.0 ** 2 / mse)


def rgb_to_y(img: np.ndarray) -> np.ndarray:
    """BT.601 luma of a uint8 RGB image, as MATLAB rgb2ycbcr (uint8 in, uint8 out)."""
    x = to_uint8(img).astype(np.float64)
    y = 16.0 + (65.481 * x[..., 0] + 128.553 * x[..., 1] + 24.966 * x[..., 2]) / 255.0
    return np.clip(np.floor(y + 0.5), 0, 255).astype(np.uint8)


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    from skimage.metrics import structural_similarity

    a, b = to_uint8(a), to_uint8(b)
    _check(a, b)
    return float(structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                       channel_axis=-1, data_range=255))


def ssim_y(a: np.ndarray, b: np.ndarray) -> float:
    from skimage.metrics import structural_similarity

    _check(a, b)
    return float(structural_similarity(rgb_to_y(a), rgb_to_y(b), gaussian_weights=True, sigma=1.5,
                                       use_sample_covariance=False, data_range=255))


def mean(values) -> float:
    """Mean that keeps +inf (identical frames) and gives nan for no values."""
    values = list(values)
    if not values:
        return math.nan
    return float(np.mean(np.asarray(values, dtype=np.float64)))
