"""Scene-cut and flash detection between consecutive source frames (on small grayscale thumbnails).

A boundary is declared between frames a and b when
  * the zero-mean normalised correlation of their blurred 160x90 grayscale thumbnails, after motion compensation
    (global shift by phase correlation, then DIS flow between the thumbnails; the best of unaligned, shifted and
    warped counts), is below
    `threshold` (a cut: different content that no motion explains), or
  * the mean brightness jumps by more than `flash_jump` (fraction of full scale): a flash or an exposure jump,
    which no interpolator can reproduce.
Interpolation never crosses a boundary.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .config import DEFAULT_SCENE_THRESHOLD as DEFAULT_THRESHOLD

DEFAULT_FLASH_JUMP = 0.12
THUMB = (160, 90)


def thumbnail(rgb: np.ndarray) -> np.ndarray:
    scale = 65535.0 if rgb.dtype == np.uint16 else (255.0 if rgb.dtype == np.uint8 else 1.0)
    small = cv2.resize(rgb.astype(np.float32) / scale, THUMB, interpolation=cv2.INTER_AREA)
    g = small @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return cv2.GaussianBlur(g, (5, 5), 1.0)


@dataclass
class Boundary:
    is_cut: bool
    correlation: float
    brightness_jump: float
    reason: str


def compare(ta: np.ndarray, tb: np.ndarray, threshold: float = DEFAULT_THRESHOLD,
            flash_jump: float = DEFAULT_FLASH_JUMP) -> Boundary:
    jump = float(abs(tb.mean() - ta.mean()))
    corr = _corr(ta, tb)
    if corr < threshold:
        corr = max(corr, _corr(*_shifted(ta, tb)))
    if corr < threshold:
        corr = max(corr, _corr(*_aligned(ta, tb)))
    if jump > flash_jump:
        return Boundary(True, corr, jump, "flash")
    if corr < threshold:
        return Boundary(True, corr, jump, "cut")
    return Boundary(False, corr, jump, "")


def _corr(ta: np.ndarray, tb: np.ndarray) -> float:
    a = ta - ta.mean()
    b = tb - tb.mean()
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    if den < 1e-6:  # flat frames (black, fade): correlation undefined; rely on brightness
        return 1.0 if abs(float(ta.mean() - tb.mean())) < 0.02 else 0.0
    return float((a * b).sum() / den)


def _shifted(ta: np.ndarray, tb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Overlapping parts of ta and tb after the global shift found by phase correlation (fast pans)."""
    win = cv2.createHanningWindow(ta.shape[::-1], cv2.CV_32F)
    (dx, dy), _ = cv2.phaseCorrelate(ta.astype(np.float32), tb.astype(np.float32), win)
    dx, dy = int(round(dx)), int(round(dy))
    h, w = ta.shape
    if abs(dx) > w // 2 or abs(dy) > h // 2:
        return ta.ravel(), tb.ravel()
    a = ta[max(0, -dy) : h - max(0, dy), max(0, -dx) : w - max(0, dx)]
    b = tb[max(0, dy) : h - max(0, -dy), max(0, dx) : w - max(0, -dx)]
    return a, b


def _aligned(ta: np.ndarray, tb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """tb warped onto ta with DIS flow; both restricted to pixels whose source lies inside the frame."""
    ga = np.clip(ta * 255, 0, 255).astype(np.uint8)
    gb = np.clip(tb * 255, 0, 255).astype(np.uint8)
    f = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM).calc(ga, gb, None)
    h, w = ta.shape
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    mx, my = gx + f[..., 0], gy + f[..., 1]
    warped = cv2.remap(tb, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    valid = (mx >= 0) & (mx <= w - 1) & (my >= 0) & (my <= h - 1)
    if valid.mean() < 0.25:
        return ta.ravel(), tb.ravel()
    return ta[valid], warped[valid]


def is_cut(rgb_a: np.ndarray, rgb_b: np.ndarray, threshold: float = DEFAULT_THRESHOLD) -> bool:
    return compare(thumbnail(rgb_a), thumbnail(rgb_b), threshold).is_cut
