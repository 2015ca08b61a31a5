"""Blur length in pixels from a window's end frames."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import data

from uhdvd_data.synth.blurpx import blur_px


@pytest.mark.parametrize("shift", [0, 3, 8])
def test_blur_px_measures_a_known_translation(shift):
    img = data.astronaut()  # 512x512 real photo
    first = img[40:440, 40:440]
    last = img[40:440, 40 + shift:440 + shift]  # content moves left by `shift` px
    p50, p95 = blur_px(first, last)
    assert p50 == pytest.approx(shift, abs=0.35) and p95 >= p50 - 1e-9
    assert p95 <= shift + 1.5


def test_blur_px_scales_to_full_resolution():
    img = data.astronaut()
    big = np.kron(img[100:400, 100:400], np.ones((4, 4, 1), np.uint8))  # 1200x1200, flow at 640
    p50, _ = blur_px(big[:, :-20], big[:, 20:])
    assert p50 == pytest.approx(20, abs=1.0)
