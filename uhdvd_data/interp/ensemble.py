"""Mirror ensemble: interpolate a pair as it is and mirrored left-right, and average the two frames.

Optical flow is not mirror-equivariant (DIS's patch grid, its coarse-to-fine pyramid and the feature matcher all
see a mirrored frame differently), so the two predictions err in different places; where the motion is uncertain
(non-rigid movers, foliage) their mean is closer to the truth than either, and where both are right it changes
nothing. Measured on real frame-drop footage in docs/bench_interp.md; it costs a second motion estimate per source
pair and a second warp per new frame.

`auto` (the default) mirrors only frames whose flows are estimated at half their resolution or more (long side <=
AUTO_RATIO x the method's flow_max_side = 2048 px: 1080p and below). At 4K the flows come from a quarter-size frame
and are refined at full resolution, and the two passes then agree (real 4K frames +0.00 dB; sub-4K clips with
flows at the 4K ratio −0.01 to +0.08, at the 1080p ratio +0.01 to +0.13) while the cost doubles all the same.

Wraps any interpolation method (`prepare` / `frame_tensor`); the mirrored frames are made once per source frame and
handed to the inner method as the same array objects, so its motion cache still shares a pair's motion between
consecutive pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .methods import MOTION_CACHE, TensorFrames
from .names import ENSEMBLES

AUTO_RATIO = 2  # `auto` mirrors frames up to this many times the flow resolution on the long side


@dataclass
class MirrorState:
    plain: object  # the inner method's PairState of the pair as it is
    mirrored: object | None  # ... and of the pair mirrored left-right (None: not mirrored, see `auto`)

    @property
    def dtype(self) -> np.dtype:
        return self.plain.dtype


class MirrorEnsemble(TensorFrames):
    """The inner method's frame averaged with its frame of the left-right mirrored pair (mirrored back). With `auto`,
    pairs whose long side exceeds AUTO_RATIO x the inner method's flow_max_side get the inner method's frame alone."""

    def __init__(self, inner, auto: bool = False):
        self.inner = inner
        self.auto = auto
        self._cache_doubled = False
        self._mirrors: list[tuple[np.ndarray, np.ndarray]] = []  # (frame, its mirror), recent frames by identity

    def __getattr__(self, name):  # device, dtype, name, weights_sha256, ... are the inner method's
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    def _mirror(self, a: np.ndarray | None) -> np.ndarray | None:
        if a is None:
            return None
        for orig, m in self._mirrors:
            if orig is a:
                return m
        m = np.ascontiguousarray(a[:, ::-1])
        keep = 2 * (MOTION_CACHE + 2 * getattr(self.inner, "motion_workers", 0)) + 4
        self._mirrors = (self._mirrors + [(a, m)])[-keep:]
        return m

    def mirrors(self, rgb: np.ndarray) -> bool:
        """Whether a pair of frames like `rgb` gets the mirrored pass."""
        side = max(rgb.shape[:2])
        return not self.auto or side <= AUTO_RATIO * getattr(self.inner, "flow_max_side", side)

    def _mirrored_pass(self, rgb: np.ndarray) -> bool:
        """mirrors(rgb); the first time it is true, the inner motion cache grows to hold the mirrored pairs beside the
        plain ones (not before: at 4K under `auto` it would only keep more full-size motion alive)."""
        if not self.mirrors(rgb):
            return False
        if not self._cache_doubled and hasattr(self.inner, "cache_pairs"):
            self.inner.cache_pairs *= 2
            self._cache_doubled = True
        return True

    def prefetch(self, a: np.ndarray, b: np.ndarray) -> None:
        self.inner.prefetch(a, b)
        if self._mirrored_pass(a):
            self.inner.prefetch(self._mirror(a), self._mirror(b))

    def close(self) -> None:
        self.inner.close()
        self._mirrors = []

    def prepare(self, rgb0: np.ndarray, rgb1: np.ndarray, before: np.ndarray | None = None,
                after: np.ndarray | None = None) -> MirrorState:
        m = self._mirror
        plain = self.inner.prepare(rgb0, rgb1, before=before, after=after)
        if not self._mirrored_pass(rgb0):
            return MirrorState(plain, None)
        return MirrorState(plain, self.inner.prepare(m(rgb0), m(rgb1), before=m(before), after=m(after)))

    @torch.no_grad()
    def frame_tensor(self, st: MirrorState, t: float) -> torch.Tensor:
        a = self.inner.frame_tensor(st.plain, t)
        if st.mirrored is None:
            return a
        return 0.5 * (a.float() + self.inner.frame_tensor(st.mirrored, t).float().flip(-1))

    def describe(self) -> dict:
        return dict(self.inner.describe(), ensemble="auto" if self.auto else "mirror")


def with_ensemble(method, ensemble: str):
    """`method` as it is (ensemble 'none'), wrapped in MirrorEnsemble ('mirror'), or wrapped for the frames whose
    flows it estimates at half their resolution or more ('auto': long side <= AUTO_RATIO x its flow_max_side)."""
    if ensemble not in ENSEMBLES:
        raise ValueError(f"unknown ensemble {ensemble!r} (choose from {', '.join(ENSEMBLES)})")
    if ensemble == "none":
        return method
    return MirrorEnsemble(method, auto=ensemble == "auto")
