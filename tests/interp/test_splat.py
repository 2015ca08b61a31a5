"""Forward softmax splatting and motion at time t (uhdvd_data.interp.splat)."""

from __future__ import annotations

import math

import torch

from uhdvd_data.interp import splat


def _const_flow(h, w, dx, dy):
    f = torch.zeros(1, 2, h, w)
    f[:, 0], f[:, 1] = dx, dy
    return f


def test_zero_flow_is_identity():
    v = torch.rand(1, 3, 8, 10)
    num, cover = splat.forward_splat(v, torch.zeros(1, 2, 8, 10), torch.zeros(1, 1, 8, 10))
    assert torch.allclose(num, v) and torch.allclose(cover, torch.ones_like(cover))


def test_integer_shift_moves_and_drops_outside():
    v = torch.arange(24.0).reshape(1, 1, 4, 6)
    num, cover = splat.forward_splat(v, _const_flow(4, 6, 2.0, 1.0), torch.zeros(1, 1, 4, 6))
    assert torch.equal(num[0, 0, 1:, 2:], v[0, 0, :-1, :-2])
    assert cover[0, 0, 0].sum() == 0 and cover[0, 0, :, :2].sum() == 0  # nothing lands there
    assert cover.sum() == 3 * 4  # pixels pushed out of the image are dropped


def test_subpixel_splat_conserves_weight():
    v = torch.ones(1, 1, 6, 6)
    num, cover = splat.forward_splat(v, _const_flow(6, 6, 0.25, 0.5), torch.zeros(1, 1, 6, 6))
    assert math.isclose(float(cover.sum()), 0.75 * 0.5 * 36 + 0.25 * 0.5 * 30 + 0.75 * 0.5 * 30 + 0.25 * 0.5 * 25,
                        rel_tol=1e-6)
    assert torch.allclose(num, cover)


def test_minus_inf_does_not_splat():
    z = torch.zeros(1, 1, 4, 4)
    z[..., 1, 1] = -math.inf
    num, cover = splat.forward_splat(torch.ones(1, 1, 4, 4), torch.zeros(1, 2, 4, 4), z)
    assert cover[0, 0, 1, 1] == 0 and num[0, 0, 1, 1] == 0 and cover.sum() == 15


def test_softmax_weight_picks_the_better_matched_pixel():
    # two pixels land on the same target; the one with the lower error dominates
    v = torch.tensor([[[[1.0, 5.0]]]])
    flow = torch.tensor([[[[0.0, -1.0]], [[0.0, 0.0]]]])
    z = torch.tensor([[[[-50.0, 0.0]]]])
    num, cover = splat.forward_splat(v, flow, z)
    assert cover[0, 0, 0, 0] == 2
    assert abs(float(num[0, 0, 0, 0] / (math.exp(-50) + 1.0)) - 5.0) < 1e-6


def test_weights_from_error_cutoff():
    e = torch.tensor([[[[0.0, 0.01, 0.06 * 1.01]]]])
    z0, _ = splat.weights_from_error(e, e, cutoff=0.06)  # the default (inf) keeps every pixel
    assert z0[0, 0, 0, 0] == 0 and abs(float(z0[0, 0, 0, 1]) + splat.ALPHA * 0.01) < 1e-4
    assert z0[0, 0, 0, 2] == -math.inf


def test_uniform_translation_gives_exact_intermediate_flows():
    h, w, d = 24, 32, 3.0
    f01, f10 = _const_flow(h, w, d, -1.0), _const_flow(h, w, -d, 1.0)
    z = torch.zeros(1, 1, h, w)
    for t in (0.25, 0.5, 0.8):
        ft0, ft1, v0, v1 = splat.motion_at_t(f01, f10, z, z, t)
        assert torch.allclose(ft0, -t * f01, atol=1e-5) and torch.allclose(ft1, (1 - t) * f01, atol=1e-5)
        assert torch.equal(v0, torch.ones_like(v0)) and torch.equal(v1, torch.ones_like(v1))


def test_moving_object_takes_its_own_motion_at_t():
    """A 10 px wide object moving +8 px over a static background: at t = 1/2 the pixels it covers then carry its
    motion (the linear approximation reads the background's zero flow on part of them)."""
    h, w = 16, 40
    f01 = torch.zeros(1, 2, h, w)
    f10 = torch.zeros(1, 2, h, w)
    f01[:, 0, :, 10:20] = 8.0  # object at x = 10..19 at time 0
    f10[:, 0, :, 18:28] = -8.0  # and at x = 18..27 at time 1
    z0 = torch.zeros(1, 1, h, w)
    z1 = torch.zeros(1, 1, h, w)
    z0[..., 20:28] = -math.inf  # background about to be covered: occluded in frame 1
    z1[..., 10:18] = -math.inf  # background revealed: occluded in frame 0
    ft0, ft1, _, _ = splat.motion_at_t(f01, f10, z0, z1, 0.5)
    assert torch.allclose(ft0[0, 0, :, 14:24], torch.full((h, 10), -4.0), atol=1e-5)  # object at x = 14..23
    assert torch.allclose(ft1[0, 0, :, 14:24], torch.full((h, 10), 4.0), atol=1e-5)
    assert torch.allclose(ft0[0, 0, :, 30:], torch.zeros(h, w - 30), atol=1e-6)  # background far away: still
    assert torch.allclose(ft0[0, 0, :, :8], torch.zeros(h, 8), atol=1e-6)
    lin = -(0.5 * 0.5) * f01 + 0.25 * f10
    assert not torch.allclose(lin[0, 0, :, 14:24], ft0[0, 0, :, 14:24])


def test_occluded_pixels_follow_the_layer_at_low_priority():
    flow = torch.full((1, 2, 2, 3), 7.0)
    layer = torch.zeros(1, 2, 2, 3)
    z = torch.zeros(1, 1, 2, 3)
    z[..., 0, 1] = -math.inf
    f2, z2 = splat.occluded_follow_layer(flow, z, layer)
    assert torch.equal(f2[..., 0, 1], torch.zeros(1, 2)) and float(z2[..., 0, 1]) == splat.OCCLUDED_Z
    assert torch.equal(f2[..., 1, :], flow[..., 1, :]) and torch.equal(z2[..., 1, :], z[..., 1, :])
    assert splat.OCCLUDED_Z < -splat.ALPHA * min(splat.CUTOFF, 1.0)  # below every matched pixel (errors <= 1)
    # where covered only by such pixels, the mass stays a normal float32
    num, cover = splat.forward_splat(torch.ones(1, 1, 1, 1), torch.zeros(1, 2, 1, 1), torch.full((1, 1, 1, 1), splat.OCCLUDED_Z))
    assert float(num) > 1e-37 and float(cover) == 1.0


def test_visibility_is_carried_by_the_splats():
    """Static background, frame 1's pixels at x = 4..7 unmatched in frame 0 (revealed there, at low priority):
    at any t what lands on x = 4..7 comes only from frame 1, so it is not visible in frame 0."""
    h, w = 4, 12
    f = torch.zeros(1, 2, h, w)
    z0 = torch.zeros(1, 1, h, w)
    z0[..., 4:8] = -math.inf  # frame 0 has something else there (the object that left), unmatched: no splat
    z1 = torch.zeros(1, 1, h, w)
    z1[..., 4:8] = splat.OCCLUDED_Z
    _, _, v0, v1 = splat.motion_at_t(f, f, z0, z1, 0.3)
    assert torch.equal(v0[..., 4:8], torch.zeros(1, 1, h, 4)) and torch.equal(v1[..., 4:8], torch.ones(1, 1, h, 4))
    assert torch.equal(v0[..., :4], torch.ones(1, 1, h, 4)) and torch.equal(v0[..., 8:], torch.ones(1, 1, h, 4))
