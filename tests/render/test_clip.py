"""render_clip: video-rate frames and their high-rate truth from one demo scene."""

from __future__ import annotations

import numpy as np

from uhdvd_data.render import SENSOR, render_clip


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
    assert a.camera["sensor"] == SENSOR.describe() and a.camera["sensor"]["supersample"] == 4
