"""Network initialisation, methods, tiling and the time grid."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch

from uhdvd_data.interp import timegrid
from uhdvd_data.interp.methods import BlendMethod, DisMethod, NetworkMethod, border_ramp, to_tensor
from uhdvd_data.interp.net import InterpNet
from uhdvd_data.interp.tiling import tiled

from .conftest import moving_frames


def _psnr(a, b):
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    return 10 * np.log10(255.0**2 / max(np.mean((a - b) ** 2), 1e-12))


@pytest.mark.parametrize("t_gate", [False, True])
def test_untrained_network_equals_dis_exactly(t_gate):
    f0, f1 = moving_frames(2, speed=4.0)
    dis = DisMethod()
    net = NetworkMethod(InterpNet(k=5, widths=(8, 8, 8), t_gate=t_gate))
    sd, sn = dis.prepare(f0, f1), net.prepare(f0, f1)
    for t in (0.25, 0.5, 0.8125):
        a = dis.frame_tensor(sd, t)
        b = net.frame_tensor(sn, t)
        assert torch.equal(a, b), float((a - b).abs().max())


def test_trained_head_changes_output():
    f0, f1 = moving_frames(2, speed=4.0)
    model = InterpNet(k=5, widths=(8, 8, 8))
    torch.nn.init.normal_(model.head[-1].weight, std=0.05)
    net, dis = NetworkMethod(model), DisMethod()
    a = dis.frame_tensor(dis.prepare(f0, f1), 0.5)
    b = net.frame_tensor(net.prepare(f0, f1), 0.5)
    assert not torch.equal(a, b)


def test_border_ramp():
    r = border_ramp(10, 20, 4, "cpu")[0, 0]
    assert r.shape == (10, 20) and float(r[0, 10]) == 0.0 and float(r[9, 10]) == 0.0 and float(r[5, 0]) == 0.0
    assert float(r[5, 10]) == 1.0 and abs(float(r[2, 10]) - 0.5) < 1e-6 and float(r.min()) >= 0.0


def test_network_fades_to_dis_at_the_image_edges():
    f0, f1 = moving_frames(2, size=(96, 128), speed=4.0)
    model = InterpNet(k=5, widths=(8, 8, 8))
    torch.nn.init.normal_(model.head[-1].weight, std=0.05)
    dis = DisMethod()
    a = dis.frame_tensor(dis.prepare(f0, f1), 0.5)
    faded, raw = NetworkMethod(model, border=16), NetworkMethod(model, border=0)
    b = faded.frame_tensor(faded.prepare(f0, f1), 0.5)
    c = raw.frame_tensor(raw.prepare(f0, f1), 0.5)
    assert torch.equal(b[..., 0, :], a[..., 0, :]) and torch.equal(b[..., :, -1], a[..., :, -1])  # edges: dis
    assert torch.allclose(b[..., 16:-16, 16:-16], c[..., 16:-16, 16:-16])  # interior: the network
    assert not torch.equal(c[..., 0, :], a[..., 0, :])


def test_t_gate_gives_dis_at_the_ends():
    f0, f1 = moving_frames(2, speed=4.0)
    model = InterpNet(k=5, widths=(8, 8, 8), t_gate=True)
    torch.nn.init.normal_(model.head[-1].weight, std=0.05)
    net, dis = NetworkMethod(model), DisMethod()
    sn, sd = net.prepare(f0, f1), dis.prepare(f0, f1)
    assert torch.equal(net.frame_tensor(sn, 0.0), dis.frame_tensor(sd, 0.0))
    assert not torch.equal(net.frame_tensor(sn, 0.5), dis.frame_tensor(sd, 0.5))


def test_kernels_sum_to_one_and_mask_in_range():
    model = InterpNet(k=5, widths=(8, 8, 8))
    torch.nn.init.normal_(model.head[-1].weight, std=0.5)
    x = torch.rand(1, 3, 32, 32)
    ones = torch.ones_like(x)
    # constant frames stay constant whatever the kernels (sum-to-one kernels, replicate padding)
    out = model(ones * 0.3, ones * 0.3, x, x, 0.5, torch.full((1, 1, 32, 32), 0.5))
    assert torch.allclose(out, torch.full_like(out, 0.3), atol=1e-5)


def test_dis_beats_blend_on_motion():
    f0, f1, f2 = moving_frames(3, speed=6.0)
    truth = moving_frames(3, speed=3.0)[1]  # the frame half-way between f0 and f1
    blend, dis = BlendMethod(), DisMethod()
    pb = _psnr(blend.frame(blend.prepare(f0, f1), 0.5), truth)
    pd = _psnr(dis.frame(dis.prepare(f0, f1), 0.5), truth)
    assert pd > pb + 3, (pd, pb)


def test_blend_endpoints_and_dtype():
    f0, f1 = moving_frames(2, dtype=np.uint16)
    m = BlendMethod()
    st = m.prepare(f0, f1)
    out = m.frame(st, 0.5)
    assert out.dtype == np.uint16
    assert np.array_equal(m.frame(st, 0.0), f0)


def test_tiled_network_has_no_seams():
    f0, f1 = moving_frames(2, size=(96, 160), speed=4.0)
    model = InterpNet(k=5, widths=(8, 8, 8, 8))
    torch.manual_seed(0)
    torch.nn.init.normal_(model.head[-1].weight, std=0.02)
    full = NetworkMethod(model, tile=0)
    tiles = NetworkMethod(model, tile=64, tile_overlap=32)
    a = full.frame_tensor(full.prepare(f0, f1), 0.5)
    b = tiles.frame_tensor(tiles.prepare(f0, f1), 0.5)
    mse = float(((a - b) ** 2).mean())
    assert 10 * np.log10(1 / max(mse, 1e-20)) > 45


def test_tiling_blends_exactly_for_pointwise_functions():
    x = torch.rand(1, 3, 70, 131)
    out = tiled(lambda a: a * 2, [x], tile=32, overlap=8)
    assert torch.allclose(out, x * 2, atol=1e-6)


def test_grid_sample_coordinates_stay_fp32_under_autocast():
    from uhdvd_data.interp.flow import backward_warp

    img = torch.rand(1, 3, 8, 3000)
    flow = torch.zeros(1, 2, 8, 3000)
    flow[:, 0] = 1.0  # shift by exactly one pixel: fp16 coordinates would be off by up to 1 px near x=3000
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = backward_warp(img, flow)
    assert out.dtype == torch.float32
    assert (out[..., :-1] - img[..., 1:]).abs().max() < 5e-3  # fp16 coordinates: errors ~0.5


@pytest.mark.parametrize(
    "src, factor, out",
    [("30", 16, "480"), ("60", 8, "480"), ("30000/1001", 16, "480000/1001"), ("25", 19, "475"), ("24", 20, "480"),
     ("120", 4, "480"), ("480", 1, "480"), ("1000", 1, "1000")],
)
def test_time_grid(src, factor, out):
    f = timegrid.factor_for(src, 480)
    assert f == factor
    assert timegrid.fraction_str(timegrid.out_fps(src, f)) == out


def test_time_grid_29_97_float():
    assert abs(float(timegrid.out_fps(Fraction(30000, 1001), 16)) - 479.52) < 0.01


def test_to_tensor_scales_by_bit_depth():
    assert float(to_tensor(np.full((2, 2, 3), 65535, np.uint16), "cpu").max()) == 1.0
    assert float(to_tensor(np.full((2, 2, 3), 255, np.uint8), "cpu").max()) == 1.0
