"""Metric conventions against known values and scikit-image."""

from __future__ import annotations

import math

import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from uhdvd_model.eval import metrics as M


def _img(seed, h=40, w=56):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_psnr_known_values_and_identical():
    a = np.full((8, 8, 3), 100, np.uint8)
    assert M.psnr(a, a) == math.inf
    b = a + 5  # MSE 25 -> 10 log10(255^2 / 25)
    assert M.psnr(a, b) == pytest.approx(10 * math.log10(255 ** 2 / 25))
    x, y = _img(0), _img(1)
    assert M.psnr(x, y) == pytest.approx(peak_signal_noise_ratio(x, y, data_range=255))
    assert M.mean([30.0, math.inf]) == math.inf and math.isnan(M.mean([]))


def test_psnr_uses_rounded_8bit_values():
    hi = np.full((4, 4, 3), 32768, np.uint16)  # 32768/65535*255 = 127.5019 -> rounds to 128
    assert M.to_uint8(hi)[0, 0, 0] == 128
    assert M.psnr(hi, np.full((4, 4, 3), 128, np.uint8)) == math.inf


def test_ssim_matches_skimage_gaussian_convention():
    x, y = _img(2), _img(3)
    want = structural_similarity(x, y, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                 channel_axis=-1, data_range=255)
    assert M.ssim(x, y) == pytest.approx(want)
    assert M.ssim(x, x) == pytest.approx(1.0)


def test_y_channel_is_matlab_bt601():
    px = np.array([[[255, 255, 255], [0, 0, 0], [255, 0, 0], [10, 200, 30]]], np.uint8)
    y = M.rgb_to_y(px)[0]
    # MATLAB rgb2ycbcr: white 235, black 16, red round(16 + 65.481) = 81
    assert list(y[:3]) == [235, 16, 81]
    assert y[3] == round(16 + (65.481 * 10 + 128.553 * 200 + 24.966 * 30) / 255)
    x, z = _img(4), _img(5)
    want = structural_similarity(M.rgb_to_y(x), M.rgb_to_y(z), gaussian_weights=True, sigma=1.5,
                                 use_sample_covariance=False, data_range=255)
    assert M.ssim_y(x, z) == pytest.approx(want)
