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


def test_bending_occluder_has_exact_non_rigid_truth():
    """occ_wave bends the occluder (a travelling sine shear): its exact flow is not one translation, and following it
    from t = 0 to t = 1 lands every interior occluder pixel on the same patch colour (point sampling, bilinear)."""
    from uhdvd_data.render.scene import make_occluder

    rng = np.random.default_rng(3)
    occ = make_occluder(load_photo("astronaut"), rng, 40, 48)
    base = Scene(load_photo("coins"), occ, (72, 96), (150.0, 150.0), (2.0, 1.0), 0.0, 0.0, 1.0, 0.0,
                 occ_pos=(20.0, 10.0), occ_vel=(6.0, 2.0), supersample=1, psf_sigma=0.0)
    bent = dataclasses.replace(base, occ_wave=(5.0, 40.0, 0.9))
    np.testing.assert_array_equal(dataclasses.replace(base, occ_wave=(0.0, 40.0, 0.9)).render(0.4), base.render(0.4))
    flow = bent.exact_flow(0.0, 1.0)
    a0 = bent.occluder_alpha(0.0)
    inner = cv2.erode((a0 > 0.999).astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    assert inner.sum() > 300
    assert flow[inner].std(axis=0).max() > 0.5  # the mover bends: no single translation
    rigid_on = base.occluder_alpha(0.0) > 0.5
    np.testing.assert_allclose(base.exact_flow(0.0, 1.0)[rigid_on], np.tile([6.0, 2.0], (rigid_on.sum(), 1)), atol=1e-4)
    f0, f1 = bent.render(0.0), bent.render(1.0)
    yy, xx = np.nonzero(inner)
    mx, my = (xx + flow[yy, xx, 0]).astype(np.float32), (yy + flow[yy, xx, 1]).astype(np.float32)
    landed = cv2.remap(f1, mx[None], my[None], cv2.INTER_LINEAR)[0]
    assert np.abs(landed - f0[yy, xx]).mean() < 0.02  # bilinear resampling of the patch twice: small, not zero
    rigid = cv2.remap(f1, (xx + 6.0).astype(np.float32)[None], (yy + 2.0).astype(np.float32)[None], cv2.INTER_LINEAR)[0]
    assert np.abs(rigid - f0[yy, xx]).mean() > 2 * np.abs(landed - f0[yy, xx]).mean()  # the translation misses it


def test_random_scenes_bend_only_when_asked():
    from uhdvd_data.render.scene import random_scene

    a = random_scene(np.random.default_rng(9), (64, 96), occluder_prob=1.0)
    b = random_scene(np.random.default_rng(9), (64, 96), occluder_prob=1.0, wave_prob=0.0)
    assert a.occ_wave[0] == 0.0 and dataclasses.replace(a, photo=None, occluder=None) == \
        dataclasses.replace(b, photo=None, occluder=None)  # same draws as before the option existed
    bent = random_scene(np.random.default_rng(9), (64, 96), occluder_prob=1.0, wave_prob=1.0)
    assert 2.0 <= bent.occ_wave[0] <= 10.0 and bent.occ_pos == a.occ_pos and bent.vel == a.vel
