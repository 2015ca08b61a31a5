"""The synthetic-truth renderer forms frames like a camera: a half-pixel camera move is a half-pixel image shift."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

from uhdvd_data.render import Scene, load_photo
from uhdvd_model.eval.metrics import psnr


def _shift_consistency(sc: Scene) -> float:
    """PSNR between the frame at t=1 and the frame at t=0 moved by the camera's (sub-pixel) motion, border cut."""
    f0, f1 = sc.render(0.0), sc.render(1.0)
    dx, dy = sc.vel  # output px per interval (scale0 = 1): frame1(x) = frame0(x + vel)
    moved = cv2.warpAffine(f0, np.float32([[1, 0, dx], [0, 1, dy]]), f0.shape[1::-1],
                           flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT101)
    q = lambda x: (np.clip(x, 0, 1)[6:-6, 6:-6] * 255 + 0.5).astype(np.uint8)  # noqa: E731
    return psnr(q(moved), q(f1))


@pytest.mark.parametrize("photo", ["astronaut", "grass"])
def test_half_pixel_motion_is_a_half_pixel_shift(photo):
    sc = Scene(load_photo(photo), None, (64, 96), (200.0, 200.0), (0.5, 0.25), 0.0, 0.0, 1.0, 0.0)
    point = dataclasses.replace(sc, supersample=1, psf_sigma=0.0)
    sensor, sampled = _shift_consistency(sc), _shift_consistency(point)
    print(photo, f"sensor model {sensor:.1f} dB, point sampling {sampled:.1f} dB")
    # point sampling low-passes a texture differently at each sub-pixel phase; the sensor model does not
    assert sensor > 40.0, sensor
    assert sensor > sampled + 3.0, (sensor, sampled)


def test_point_sampling_is_the_plain_warp():
    sc = Scene(load_photo("coins"), None, (48, 64), (150.0, 150.0), (3.0, 1.0), 0.0, 0.0, 1.0, 0.0,
               supersample=1, psf_sigma=0.0)
    m = np.float64([[1, 0, 150.0 - 31.5 + 3.0 * 0.5], [0, 1, 150.0 - 23.5 + 1.0 * 0.5]])
    want = cv2.warpAffine(sc.photo, m, (64, 48), flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_REFLECT101)
    np.testing.assert_allclose(sc.render(0.5), np.clip(want, 0, 1), atol=1e-6)
