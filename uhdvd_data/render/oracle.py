"""Exact-motion interpolation of a rendered scene: the ceiling of a two-frame warp-and-blend interpolator.

Given the two captured frames of a `Scene` (scene.py) and the scene itself, the frame at t is composited from two
layers with the occluder's exact coverage at t: the occluder layer (both frames warped by the occluder's motion) over
the background layer (both frames warped by the camera's motion). Within a layer the two warped frames (bicubic) are
blended with weights (1 - t, t), and a frame's weight is zero where the point is hidden in it (touched by the
occluder, or outside the image). What it still misses is what no such interpolator can know: content hidden in both
frames or outside both, and the background mixed into the occluder's soft edge in the captured frames. Benchmarks
report it beside the real methods (`--methods ...,oracle`) so that a fidelity target can be read against what the
scenes allow.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .scene import Scene


@dataclass
class OraclePair:
    f0: np.ndarray  # float32 HxWx3, frame at t0
    f1: np.ndarray  # float32 HxWx3, frame at t0 + 1
    t0: float
    cover0: np.ndarray  # HxW float32: the occluder's coverage in frame 0 (as rendered)
    cover1: np.ndarray  # ... in frame 1


class OracleMethod:
    """Same interface as the interpolation methods, plus the pair's start time: prepare(f0, f1, t0)."""

    name = "oracle"
    needs_time = True

    def __init__(self, scene: Scene):
        self.scene = scene

    def prepare(self, f0: np.ndarray, f1: np.ndarray, t0: float = 0.0) -> OraclePair:
        return OraclePair(f0.astype(np.float32), f1.astype(np.float32), float(t0),
                          self.scene.occluder_alpha(t0, sensor=True), self.scene.occluder_alpha(t0 + 1.0, sensor=True))

    def _warp(self, img: np.ndarray, flow: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Backward warp by flow (HxWx2): warped image, sample coordinates x and y, and inside-the-image mask."""
        h, w = self.scene.size
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        mx, my = xx + flow[..., 0], yy + flow[..., 1]
        warped = cv2.remap(img, mx, my, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
        return warped, mx, my, (mx >= -0.5) & (mx <= w - 0.5) & (my >= -0.5) & (my <= h - 0.5)

    def _layers(self, img: np.ndarray, cover: np.ndarray, t: float, ts: float):
        """img (seen at time ts, occluder coverage `cover`) as background and occluder layers at time t, each with
        where it is valid."""
        sc = self.scene
        cam = sc.exact_flow(t, ts, occluder=False)
        bg, mx, my, inside = self._warp(img, cam)
        touched = cv2.remap(cover, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)
        d = np.float32([sc.occ_vel[0] * (ts - t), sc.occ_vel[1] * (ts - t)])
        occ, _, _, occ_inside = self._warp(img, np.broadcast_to(d, cam.shape))
        return bg, inside & (touched < 0.01), occ, occ_inside

    def frame(self, st: OraclePair, t: float) -> np.ndarray:
        b0, vb0, o0, vo0 = self._layers(st.f0, st.cover0, st.t0 + t, st.t0)
        b1, vb1, o1, vo1 = self._layers(st.f1, st.cover1, st.t0 + t, st.t0 + 1.0)
        bg = _blend(b0, b1, vb0, vb1, t)
        occ = _blend(o0, o1, vo0, vo1, t)
        a = self.scene.occluder_alpha(st.t0 + t, sensor=True)[..., None]
        return np.clip(a * occ + (1.0 - a) * bg + 0.5, 0, 255).astype(np.uint8)


def _blend(w0: np.ndarray, w1: np.ndarray, v0: np.ndarray, v1: np.ndarray, t: float) -> np.ndarray:
    """(1 - t, t) blend of two warped frames, a frame's weight zero where it is invalid (both invalid: plain blend)."""
    a0, a1 = (1.0 - t) * v0, t * v1
    none = (a0 + a1) == 0
    a0 = np.where(none, 1.0 - t, a0)[..., None]
    a1 = np.where(none, t, a1)[..., None]
    return (a0 * w0 + a1 * w1) / (a0 + a1)


def prepare_pair(method, f0: np.ndarray, f1: np.ndarray, t0: float, before: np.ndarray | None = None,
                 after: np.ndarray | None = None):
    """method.prepare for the pair (f0, f1) starting at time t0, with the captured frames on either side (None at the
    ends): the oracle needs t0 and no neighbours, the other methods the neighbours and no t0."""
    if getattr(method, "needs_time", False):
        return method.prepare(f0, f1, t0=t0)
    return method.prepare(f0, f1, before=before, after=after)
