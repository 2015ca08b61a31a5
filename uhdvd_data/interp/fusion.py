"""Large independent motion: feature-matched motion layers and per-pixel fusion of flow candidates.

DIS (coarse-to-fine patch search started from zero) follows the background when an object moves fast relative to
it (e.g. a 60 px/frame relative motion: none of its pixels tracked in the benchmark). Two classical remedies, both
at flow resolution:

* motion layers: SIFT matches between the frames, RANSAC homographies fitted one after another to the matches the
  previous layers did not explain (camera, then each large independent mover) -> one dense flow per layer;
* fusion: per pixel, the candidate flow (DIS, DIS of a neighbour 4-24 px away, each layer) with the lowest local
  photometric error |I0(x) - I1(x + f(x))| (window mean) replaces DIS only when it beats DIS by `margin`; pixels whose
  flow leaves the image (no photometric evidence there) take the dominant layer's flow (the camera, mostly), or keep
  DIS when no layer was found. Neighbour candidates sharpen motion boundaries, where patch-based flow bleeds across;
* occlusion by a mover (`hidden_by_mover`): a pixel that an independently moving layer covers in the other frame has
  no true match there, yet on texture some wrong candidate often matches it well enough to look tracked (gravel:
  ~20-50 % of the band an occluder is about to cover, flows 30-50 px off). Where the camera layer would carry a
  pixel onto a place that a mover owns in the other frame, the pixel is declared hidden (its own flow is a guess)
  unless it is itself a mover pixel, already moves with the camera, or passes the forward-backward check (98 % of
  the chance matches this rule catches on the benchmark scenes fail it; 1-3 % of other tracked pixels do);
* leaving the view (`leaves_frame`): content the camera layer carries out of the other frame (a band along the edge
  the camera moves away from, in either direction of time) has no match there either; a flow that lands inside the
  image matched it by chance (a third of such a band on gravel) and is declared hidden too, unless it is the
  camera's or passes the forward-backward check.

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
OWN_PX = 1.0  # a pixel moves with a layer when its flow is within this of the layer's (and it is matched) ...
OWN_ERROR = 0.03  # ... or when the layer explains it this well (window error) and better than the camera layer
CAMERA_PX = 0.5  # a pixel whose flow is this close to the camera layer's is left alone ...
CONSISTENT_PX = 1.0  # ... and so is one whose flow the other frame's flow sends back to within this (tracked)


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


def _follows(x0: torch.Tensor, x1: torch.Tensor, flow: torch.Tensor, matched: torch.Tensor, layer: torch.Tensor,
             camera_error: torch.Tensor, window: int) -> torch.Tensor:
    """Frame-0 pixels that move with `layer`: matched with a flow within OWN_PX of it, or explained by it within
    OWN_ERROR and better than by the camera layer."""
    err = _window_error(x0, x1, layer, window)
    close = (flow - layer).norm(dim=1, keepdim=True) < OWN_PX
    return (close & matched) | ((err < OWN_ERROR) & (err < camera_error))


def hidden_by_mover(x0: torch.Tensor, x1: torch.Tensor, f01: torch.Tensor, f10: torch.Tensor, matched0: torch.Tensor,
                    matched1: torch.Tensor, layers01: list[torch.Tensor], layers10: list[torch.Tensor],
                    window: int = WINDOW) -> tuple[torch.Tensor, torch.Tensor]:
    """(hidden0, hidden1), (B,1,H,W) bool: pixels of each frame covered in the other by an independently moving layer
    (see the module notes). Both directions at once: each frame's layer ownership serves both.

    matched0/1: where each frame's flow is photometrically confirmed (below the splat cutoff); layers01/10: the dense
    layer flows of each direction, camera first, index-aligned. A frame-0 pixel is hidden when the camera layer carries
    it onto a pixel that moves with an independent layer k in frame 1, its own flow is neither the camera's nor
    confirmed by the backward flow (forward-backward check: what is truly tracked, e.g. under parallax, stays), and it
    is not itself a pixel of layer k (one that follows k and that k carries onto k's pixels in frame 1); likewise for
    frame 1. No independent layer, nothing hidden."""
    hidden0, hidden1 = torch.zeros_like(matched0), torch.zeros_like(matched1)
    if len(layers01) < 2:
        return hidden0, hidden1
    mover0, mover1 = torch.zeros_like(matched0), torch.zeros_like(matched1)
    cam_err0 = _window_error(x0, x1, layers01[0], window)
    cam_err1 = _window_error(x1, x0, layers10[0], window)
    for k01, k10 in zip(layers01[1:], layers10[1:]):
        own0 = _follows(x0, x1, f01, matched0, k01, cam_err0, window)
        own1 = _follows(x1, x0, f10, matched1, k10, cam_err1, window)
        own0f, own1f = own0.to(x0.dtype), own1.to(x1.dtype)
        hidden0 |= backward_warp(own1f, layers01[0]) > 0.5
        hidden1 |= backward_warp(own0f, layers10[0]) > 0.5
        mover0 |= own0 & (backward_warp(own1f, k01) > 0.5)
        mover1 |= own1 & (backward_warp(own0f, k10) > 0.5)
    return (hidden0 & _unexplained(f01, f10, layers01[0]) & ~mover0,
            hidden1 & _unexplained(f10, f01, layers10[0]) & ~mover1)


def leaves_frame(fab: torch.Tensor, fba: torch.Tensor, camera: torch.Tensor) -> torch.Tensor:
    """(B,1,H,W) bool: frame-a pixels that the camera layer carries out of frame b (content leaving the view, or, seen
    from the other frame, entering it) and whose own flow is unexplained: they have no match in frame b, and a flow
    that lands inside it matched by chance."""
    return (inside(camera) < 0.5) & _unexplained(fab, fba, camera)


def _unexplained(fab: torch.Tensor, fba: torch.Tensor, camera: torch.Tensor) -> torch.Tensor:
    """Frame-a pixels whose flow is neither the camera layer's nor confirmed by the backward flow."""
    moves_alone = (fab - camera).norm(dim=1, keepdim=True) > CAMERA_PX
    inconsistent = (fab + backward_warp(fba, fab)).norm(dim=1, keepdim=True) > CONSISTENT_PX
    return moves_alone & inconsistent
