"""Real photographs shipped with scikit-image, used as demo scenes.

DEMO_PHOTOS feed `make-demo` (and may be used for training/demo). HELDOUT_PHOTOS are reserved for held-out
benchmarks: never render them into training data.
"""

from __future__ import annotations

import functools

import numpy as np

from ..common.errors import UserError

# Colour photos with enough texture, in the order demo clips use them (clip k -> DEMO_PHOTOS[k % 4]).
DEMO_PHOTOS = ["astronaut", "coffee", "rocket", "chelsea"]
# Reserved for held-out benchmarks (different content: street scene, microscopy, gravel texture).
HELDOUT_PHOTOS = ["motorcycle", "immunohistochemistry", "gravel"]
ALL_PHOTOS = DEMO_PHOTOS + HELDOUT_PHOTOS


@functools.lru_cache(maxsize=16)
def load_photo(name: str) -> np.ndarray:
    """HxWx3 uint8 RGB photo by name (read-only array)."""
    import skimage.data

    if name == "motorcycle":
        img = skimage.data.stereo_motorcycle()[0]
    elif name in ALL_PHOTOS:
        img = getattr(skimage.data, name)()
    else:
        raise UserError(f"unknown demo photo {name!r} (choose from {', '.join(ALL_PHOTOS)})")
    img = np.asarray(img)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    img = np.ascontiguousarray(img[..., :3]).astype(np.uint8)
    img.setflags(write=False)
    return img


def foreground_photo(name: str) -> str:
    """The photo the moving foreground patch is cut from: the next one in the same group (demo or held-out),
    so held-out scenes never show demo content and vice versa."""
    group = HELDOUT_PHOTOS if name in HELDOUT_PHOTOS else DEMO_PHOTOS
    i = group.index(name) if name in group else 0
    return group[(i + 1) % len(group)]
