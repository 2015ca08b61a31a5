"""The photos rendered scenes are made of: real photographs bundled with scikit-image, and who may use which.

DEMO_PHOTOS feed `make-demo`; TRAIN_PHOTOS train the interpolation network (the demo photos and more);
HELDOUT_PHOTOS are reserved for held-out benchmarks and are never rendered into training data.
"""

from __future__ import annotations

import functools

import numpy as np

from ..common.errors import UserError

# Colour photos with enough texture, in the order demo clips use them (clip k -> DEMO_PHOTOS[k % 4]).
DEMO_PHOTOS = ("astronaut", "coffee", "rocket", "chelsea")
# Reserved for held-out benchmarks (different content: street scene, microscopy, gravel texture).
HELDOUT_PHOTOS = ("motorcycle", "immunohistochemistry", "gravel")
_MORE_PHOTOS = ("hubble_deep_field", "retina", "colorwheel", "camera", "brick", "grass", "coins", "cell", "moon")
# Synthetic training tuples come from these only (the default interpolation checkpoint is trained on them).
TRAIN_PHOTOS = tuple(p for p in DEMO_PHOTOS + _MORE_PHOTOS if p not in HELDOUT_PHOTOS)
ALL_PHOTOS = DEMO_PHOTOS + HELDOUT_PHOTOS + _MORE_PHOTOS  # every photo load_photo knows


@functools.lru_cache(maxsize=32)
def load_photo(name: str) -> np.ndarray:
    """HxWx3 float32 RGB in [0, 1] (read-only, cached). Grayscale photos are tinted slightly so the colour
    channels differ."""
    if name not in ALL_PHOTOS:
        raise UserError(f"unknown photo {name!r} (choose from {', '.join(ALL_PHOTOS)})")
    import skimage.data

    img = skimage.data.stereo_motorcycle()[0] if name == "motorcycle" else getattr(skimage.data, name)()
    if img.ndim == 2:
        img = np.stack([img * 0.95, img, img * 0.9 + 10], -1).clip(0, 255)
    img = np.ascontiguousarray(img[..., :3].astype(np.float32) / 255.0)
    img.setflags(write=False)
    return img


def foreground_photo(name: str) -> str:
    """The photo a demo scene's moving foreground disc is cut from: the next one in the same group (demo or
    held-out), so held-out scenes never show demo content and vice versa."""
    group = HELDOUT_PHOTOS if name in HELDOUT_PHOTOS else DEMO_PHOTOS
    i = group.index(name) if name in group else 0
    return group[(i + 1) % len(group)]
