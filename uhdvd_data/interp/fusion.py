"""Large independent motion: feature-matched motion layers and per-pixel fusion of flow candidates.

DIS (coarse-to-fine patch search started from zero) follows the background when an object moves fast relative to
it (e.g. a 60 px/frame relative motion: none of its pixels tracked in the benchmark). Two classical remedies, both
at flow resolution:

* motion layers: SIFT matches between the frames, RANSAC homographies fitted one after another to the matches the
  previous layers did not explain (camera, then each large independent mover) -> one dense flow per layer;
* fusion: per pixel, the candidate flow (DIS, DIS of a neighbour 4-24 px away, each layer) with the lowest local
  photometric error |I0(x) - I1(x + f(x))| (window mean) replaces DIS only when it beats DIS by `margin`; pixels whose
  flow leaves the image (no photometric evidence there) take the dominant layer's flow (the camera, mostly), or keep
  DIS when no layer was found. Neighbour candidates sharpen motion boundaries, where patch-based flow bleeds across.

Pure functions: uint8 grayscale / float tensors in, flows out.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from .flow import backward_warp, inside

NEIGHBOUR_OFFSETS = (4, 12, 24)
MARGIN = 0.02  # mean absolute error (0..1 scale) a candidate must gain over DIS
WINDOW = 7


_FEATURES: OrderedDict = OrderedDict()  # last few frames' SIFT features: consecutive pairs share a frame


def sift_features(g: np.ndarray, max_features: int = 4000) -> tuple[np.ndarray, np.ndarray | None]:
    """(N x 2 keypoint positions, N x 128 descriptors or None) of a uint8 grayscale frame; cached by content."""
    key = (g.shape, max_features, hashlib.blake2b(np.ascontiguousarray(g).data, digest_size=16).digest())
    hit = _FEATURES.get(key)
    if hit is not None:
        _FEATURES.move_to_end(key)
        return hit
    kps, desc = cv2.SIFT_create(nfeatures=max_features).detectAndCompute(g, None)
    out = (np.float32([k.pt for k in kps]).reshape(-1, 2), desc)
    _FEATURES[key] = out
    while len(_FEATURES) > 4:
        _FEATURES.popitem(last=False)
    return out


def feature_homographies(g0: np.ndarray, g1: np.ndarray, max_layers: int = 3, min_inliers: int = 20,
                         threshold: float = 2.0, max_features: int = 4000) -> list[np.ndarray]:
    """3x3 homographies mapping frame-0 pixels to frame 1, one per motion layer (largest first)."""
    k0, d0 = sift_features(g0, max_features)
    k1, d1 = sift_features(g1, max_features)
    if d0 is None or d1 is None or len(k0) < min_inliers or len(k1) < min_inliers:
        return []
    pairs = cv2.BFMatcher(cv2.NORM_L2).knnMatch(d0, d1, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < 0.8 * p[1].distance]
    p0 = k0[[m.queryIdx for m in good]].reshape(-1, 2)
    p1 = k1[[m.trainIdx for m in good]].reshape(-1, 2)
    hs: list[np.ndarray] = []
    while len(p0) >= min_inliers and len(hs) < max_layers:
        h, inl = cv2.findHomography(p0, p1, cv2.RANSAC, threshold)
        if h is None or inl is None:
            break
        inl = inl.ravel().astype(bool)
        if inl.sum() < min_inliers:
            break
        hs.append(h)
        p0, p1 = p0[~inl], p1[~inl]
    return hs


def homography_flow(h: np.ndarray, height: int, width: int) -> np.ndarray | None:
    """Dense HxWx2 flow of a homography; None when it is degenerate (points at infinity, absurd motion)."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    q = np.stack([xx, yy, np.ones_like(xx)], -1) @ h.T
    den = q[..., 2]
    if not np.all(np.isfinite(q)) or den.min() <= 1e-6:
        return None
    f = np.stack([q[..., 0] / den - xx, q[..., 1] / den - yy], -1)
    if np.abs(f).max() > max(height, width):
        return None
    return f.astype(np.float32)


def layer_flows(g0: np.ndarray, g1: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Dense flows of the motion layers, frame 0 -> 1 and frame 1 -> 0 (inverse homographies)."""
    height, width = g0.shape
    f01, f10 = [], []
    try:
        hs = feature_homographies(g0, g1)
    except cv2.error:  # feature matching is an improvement, never a requirement: fall back to DIS alone
        hs = []
    for h in hs:
        try:
            hinv = np.linalg.inv(h)
        except np.linalg.LinAlgError:
            continue
        a, b = homography_flow(h, height, width), homography_flow(hinv, height, width)
        if a is not None and b is not None:
            f01.append(a)
            f10.append(b)
    return f01, f10


def match_error(x0: torch.Tensor, x1: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """(B,1,H,W) photometric error |x0(x) - x1(x + f(x))|, mean over channels."""
    return (x0 - backward_warp(x1, f)).abs().mean(1, keepdim=True)


def _window_error(x0: torch.Tensor, x1: torch.Tensor, f: torch.Tensor, window: int) -> torch.Tensor:
    return F.avg_pool2d(match_error(x0, x1, f), window, 1, window // 2, count_include_pad=False)


def fuse(x0: torch.Tensor, x1: torch.Tensor, flow: torch.Tensor, extra: list[torch.Tensor] = (),
         offsets=NEIGHBOUR_OFFSETS, margin: float = MARGIN, window: int = WINDOW) -> torch.Tensor:
    """Per-pixel choice among flow candidates (B,2,H,W) for frames x0 -> x1 (B,3,H,W floats in 0..1)."""
    cands = [flow, *extra]
    for r in offsets:
        for dx, dy in ((r, 0), (-r, 0), (0, r), (0, -r), (r, r), (-r, -r), (r, -r), (-r, r)):
            cands.append(torch.roll(flow, shifts=(dy, dx), dims=(2, 3)))
    best = _window_error(x0, x1, flow, window) - margin
    out = flow.clone()
    for c in cands[1:]:  # running argmin: memory of one candidate at a time
        err = _window_error(x0, x1, c, window)
        better = err < best
        best = torch.where(better, err, best)
        out = torch.where(better, c, out)
    # no photometric evidence where a flow leaves the image: the dominant layer (the camera, when layers were found)
    # extrapolates best there (pixels leaving the frame almost always move with the camera); else keep DIS
    outside = (inside(flow) < 0.5) | (inside(out) < 0.5)
    fallback = extra[0] if len(extra) else flow
    return torch.where(outside, fallback, out)
