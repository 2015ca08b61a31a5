"""Rendering: truth/video alignment, supersampling, determinism, photos."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from uhdvd_data.common.errors import UserError
from uhdvd_data.demo import DEMO_PHOTOS, HELDOUT_PHOTOS, SUPERSAMPLE, load_photo, render_clip, scene_for


def test_photo_lists():
    assert not set(DEMO_PHOTOS) & set(HELDOUT_PHOTOS)
    for name in DEMO_PHOTOS + HELDOUT_PHOTOS:
        img = load_photo(name)
        assert img.ndim == 3 and img.shape[2] == 3 and img.dtype == np.uint8 and min(img.shape[:2]) >= 300
    with pytest.raises(UserError, match="unknown demo photo"):
        load_photo("nope")


def test_render_clip_truth_alignment_and_determinism():
    a = render_clip("astronaut", (64, 48), n_frames=3, seed=3, factor=4)
    assert a.frames.shape == (3, 48, 64, 3) and a.truth.shape == (9, 48, 64, 3)
    assert np.array_equal(a.truth[::4], a.frames)
    # intermediate truth frames are really in between (not copies)
    assert not np.array_equal(a.truth[1], a.truth[0]) and not np.array_equal(a.truth[1], a.truth[4])
    b = render_clip("astronaut", (64, 48), n_frames=3, seed=3, factor=4)
    assert np.array_equal(a.truth, b.truth)
    c = render_clip("astronaut", (64, 48), n_frames=3, seed=4, factor=4, truth=False)
    assert c.truth is None and not np.array_equal(a.frames, c.frames)
    assert a.camera["supersample"] == SUPERSAMPLE == 2


def test_supersampling_antialiases():
    """The frame equals the area-average of a render at twice the size (supersampled), and is smoother than
    sampling the same scene once per pixel."""
    scene = scene_for("chelsea", (160, 90), 4, 0)
    frame = scene.render_frame(0.05).astype(np.float32)
    # Render the same instant with one sample per output pixel (no supersampling) for comparison.
    import uhdvd_data.demo.scene as sc

    old = sc.SUPERSAMPLE
    try:
        sc.SUPERSAMPLE = 1
        aliased = scene.render_frame(0.05).astype(np.float32)
    finally:
        sc.SUPERSAMPLE = old
    # high-frequency energy (Laplacian) is lower with supersampling, but the images agree overall
    lap = lambda x: np.abs(cv2.Laplacian(x.mean(axis=2), cv2.CV_32F)).mean()  # noqa: E731
    assert lap(frame) < lap(aliased)
    assert np.abs(frame - aliased).mean() < 12
    # the foreground disc edge has intermediate (blended) values
    assert len(np.unique(frame)) > 200


def test_foreground_occludes_background():
    scene = scene_for("coffee", (160, 90), 4, 0)
    t = 0.0
    cx, cy = scene.object.centre(t)
    x, y = int(round(cx + 79.5)), int(round(cy + 44.5))
    frame = scene.render_frame(t)
    # compare with the scene without the object: pixels at the object centre change
    bg_only = scene.render_frame(t, with_object=False)
    patch = (slice(max(y - 3, 0), y + 4), slice(max(x - 3, 0), x + 4))
    assert np.abs(frame[patch].astype(int) - bg_only[patch]).mean() > 10
