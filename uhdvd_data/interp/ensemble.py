"""Mirror ensemble: interpolate a pair as it is and mirrored left-right, and average the two frames.

Optical flow is not mirror-equivariant (DIS's patch grid, its coarse-to-fine pyramid and the feature matcher all
see a mirrored frame differently), so the two predictions err in different places; where the motion is uncertain
(non-rigid movers, foliage) their mean is closer to the truth than either, and where both are right it changes
nothing. Measured on real frame-drop footage in docs/bench_interp.md; it costs a second motion estimate per source
pair and a second warp per new frame.

Wraps any interpolation method (`prepare` / `frame_tensor`); the mirrored frames are made once per source frame and
handed to the inner method as the same array objects, so its motion cache still shares a pair's motion between
consecutive pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .methods import MOTION_CACHE, codes_to_numpy, to_codes
from .names import ENSEMBLES


@dataclass
class MirrorState:
    plain: object  # the inner method's PairState of the pair as it is
    mirrored: object  # ... and of the pair mirrored left-right

    @property
    def dtype(self) -> np.dtype:
        return self.plain.dtype


class MirrorEnsemble:
    """The inner method's frame averaged with its frame of the left-right mirrored pair (mirrored back)."""

    def __init__(self, inner):
        self.inner = inner
        if hasattr(inner, "cache_pairs"):  # the mirrored pairs share the inner motion cache with the plain ones
            inner.cache_pairs *= 2
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

    def prefetch(self, a: np.ndarray, b: np.ndarray) -> None:
        self.inner.prefetch(a, b)
        self.inner.prefetch(self._mirror(a), self._mirror(b))

    def close(self) -> None:
        self.inner.close()
        self._mirrors = []

    def prepare(self, rgb0: np.ndarray, rgb1: np.ndarray, before: np.ndarray | None = None,
                after: np.ndarray | None = None) -> MirrorState:
        m = self._mirror
        return MirrorState(self.inner.prepare(rgb0, rgb1, before=before, after=after),
                           self.inner.prepare(m(rgb0), m(rgb1), before=m(before), after=m(after)))

    @torch.no_grad()
    def frame_tensor(self, st: MirrorState, t: float) -> torch.Tensor:
        a = self.inner.frame_tensor(st.plain, t).float()
        b = self.inner.frame_tensor(st.mirrored, t).float().flip(-1)
        return 0.5 * (a + b)

    @torch.no_grad()
    def frame_codes(self, st: MirrorState, t: float) -> torch.Tensor:
        return to_codes(self.frame_tensor(st, t), st.dtype)

    @torch.no_grad()
    def frame(self, st: MirrorState, t: float) -> np.ndarray:
        return codes_to_numpy(self.frame_codes(st, t), st.dtype)

    def describe(self) -> dict:
        return dict(self.inner.describe(), ensemble="mirror")


def with_ensemble(method, ensemble: str):
    """`method` as it is (ensemble 'none') or wrapped in MirrorEnsemble ('mirror')."""
    if ensemble not in ENSEMBLES:
        raise ValueError(f"unknown ensemble {ensemble!r} (choose from {', '.join(ENSEMBLES)})")
    return MirrorEnsemble(method) if ensemble == "mirror" else method
