"""Feature-matched motion layers and per-pixel flow fusion (uhdvd_data.interp.fusion)."""

from __future__ import annotations

import cv2
import numpy as np
import torch

from uhdvd_data.interp import fusion
from uhdvd_data.interp.flow import flow_to_tensor
from uhdvd_data.interp.synthetic import load_photo


def _photo(name="grass", h=180, w=320, y=20, x=20):
    return (load_photo(name)[y : y + h, x : x + w] * 255 + 0.5).astype(np.uint8)


def _gray(rgb):
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def _shift(img, dx, dy):
    m = np.float32([[1, 0, dx], [0, 1, dy]])
    return cv2.warpAffine(img, m, (img.shape[1], img.shape[0]), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)


def _t(rgb):
    return torch.from_numpy(rgb).permute(2, 0, 1)[None].float() / 255.0


def test_homography_of_a_translation():
    a = _photo()
    b = _shift(a, 7.0, -3.0)
    f01, f10 = fusion.layer_flows(_gray(a), _gray(b))
    assert f01 and f10
    inner = (slice(20, -20), slice(20, -20))
    assert np.abs(f01[0][inner] - [7.0, -3.0]).max() < 0.5
    assert np.abs(f10[0][inner] - [-7.0, 3.0]).max() < 0.5


def test_second_layer_for_an_independent_mover():
    bg = _photo()
    obj = _photo("chelsea", 100, 120, 100, 150)  # 100x120 textured patch
    a, b = _shift(bg, -4.0, 0.0), _shift(bg, -8.0, 0.0)  # background moves -4 px
    a[40:140, 20:140] = obj
    b[40:140, 70:190] = obj  # object moves +50 px
    hs = fusion.feature_homographies(_gray(a), _gray(b))
    shifts = sorted(round(float(h[0, 2] / h[2, 2])) for h in hs)
    assert len(hs) >= 2 and any(abs(s - 50) <= 1 for s in shifts) and any(abs(s + 4) <= 1 for s in shifts), shifts


def test_fuse_recovers_a_candidate_and_keeps_dis_elsewhere():
    a = _photo()
    b = _shift(a, 5.0, 0.0)
    x0, x1 = _t(a), _t(b)
    wrong = torch.zeros(1, 2, *a.shape[:2])
    right = flow_to_tensor(np.tile(np.float32([5.0, 0.0]), (*a.shape[:2], 1)))
    out = fusion.fuse(x0, x1, wrong, [right], offsets=())
    took = (out[..., 10:-10, 10:-10] == right[..., 10:-10, 10:-10]).all(1)
    assert took.float().mean() > 0.99
    # no candidate beats DIS by the margin: DIS stays exactly
    same = fusion.fuse(x0, x0, wrong, [right], offsets=(4,))
    assert torch.equal(same, wrong)


def test_degenerate_homography_is_rejected():
    assert fusion.homography_flow(np.array([[1, 0, 0], [0, 1, 0], [-0.1, 0, 1]], float), 50, 80) is None
    assert fusion.homography_flow(np.array([[1, 0, 500], [0, 1, 0], [0, 0, 1]], float), 50, 80) is None
    f = fusion.homography_flow(np.eye(3), 50, 80)
    assert f is not None and f.shape == (50, 80, 2) and not f.any()


def test_featureless_frames_give_no_layers():
    flat = np.full((60, 90), 128, np.uint8)
    assert fusion.layer_flows(flat, flat) == ([], [])
