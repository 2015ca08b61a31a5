"""The one photo loader and the photo lists: who may use which photo."""

from __future__ import annotations

import numpy as np
import pytest

from uhdvd_data.common.errors import UserError
from uhdvd_data.render import (
    ALL_PHOTOS,
    DEMO_PHOTOS,
    HELDOUT_PHOTOS,
    TRAIN_PHOTOS,
    foreground_photo,
    load_photo,
)


def test_heldout_photos_are_never_demo_or_training_photos():
    assert HELDOUT_PHOTOS and not set(HELDOUT_PHOTOS) & set(TRAIN_PHOTOS)
    assert not set(DEMO_PHOTOS) & set(HELDOUT_PHOTOS)
    assert set(DEMO_PHOTOS) <= set(TRAIN_PHOTOS)
    assert set(DEMO_PHOTOS) | set(HELDOUT_PHOTOS) | set(TRAIN_PHOTOS) == set(ALL_PHOTOS)
    assert len(set(ALL_PHOTOS)) == len(ALL_PHOTOS)


def test_foreground_photo_stays_in_its_group():
    for group in (DEMO_PHOTOS, HELDOUT_PHOTOS):
        fgs = [foreground_photo(p) for p in group]
        assert set(fgs) == set(group) and all(f != p for f, p in zip(fgs, group))


def test_load_photo():
    for name in ALL_PHOTOS:
        img = load_photo(name)
        assert img.ndim == 3 and img.shape[2] == 3 and img.dtype == np.float32 and min(img.shape[:2]) >= 300
        assert 0.0 <= img.min() and img.max() <= 1.0 and not img.flags.writeable
    assert load_photo("astronaut") is load_photo("astronaut")  # cached
    # grayscale photos are tinted so the colour channels differ
    gray = load_photo("gravel")
    assert np.abs(gray[..., 0] - gray[..., 2]).mean() > 0.01
    with pytest.raises(UserError, match="unknown photo 'nope'"):
        load_photo("nope")
