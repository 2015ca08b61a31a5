"""The held-out scenes of the interpolation fidelity benchmarks (benchmarks/interp_fidelity.py and others)."""

from __future__ import annotations

import numpy as np

from .photos import HELDOUT_PHOTOS
from .scene import Scene, random_scene


def benchmark_scenes(n: int = 4, size: tuple[int, int] = (360, 640), seed: int = 1234) -> list[Scene]:
    """Held-out scenes (HELDOUT_PHOTOS only): 20-40 px/frame camera motion and an occluding object."""
    rng = np.random.default_rng(seed)
    return [random_scene(rng, size, photos=HELDOUT_PHOTOS, motion=(20.0, 40.0), occluder_prob=1.0) for _ in range(n)]
