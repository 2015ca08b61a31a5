"""The camera-layer candidate: motion.layer_prewarp and the layer inputs/gate of InterpNet."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from uhdvd_data.interp import motion as motionmod
from uhdvd_data.interp.methods import DisMethod, NetworkMethod, to_tensor
from uhdvd_data.interp.net import InterpNet
from uhdvd_data.interp.weights_io import load_interp_weights, save_interp_weights

from .conftest import moving_frames

SIZE = (120, 200)


def _pan():
    """Two frames of a 9 px/frame pan (moving_frames) and the truth half-way between them."""
    f0, f1 = moving_frames(2, size=SIZE, speed=9.0)
    return moving_frames(2, size=SIZE, speed=4.5)[1], f0, f1


def _random_head(model: InterpNet, std: float = 0.05, seed: int = 0) -> InterpNet:
    torch.manual_seed(seed)
    torch.nn.init.normal_(model.head[-1].weight, std=std)
    return model


def test_layer_prewarp_follows_the_camera():
    half, f0, f1 = _pan()
    pair = motionmod.pair_motion(f0, f1, "cpu", motion="fused")
    assert pair.fused.layer01 is not None
    x0, x1 = to_tensor(f0, "cpu"), to_tensor(f1, "cpu")
    cand = motionmod.layer_prewarp(x0, x1, pair, 0.5)
    assert cand.shape == (1, 8, 120, 200)
    truth = to_tensor(half, "cpu")
    for k, inside in ((0, cand[:, 6:7]), (1, cand[:, 7:8])):
        warp = cand[:, 3 * k : 3 * k + 3]
        ok = inside.expand_as(warp) > 0.5
        ok[..., :12, :] = ok[..., -12:, :] = ok[..., :, :12] = ok[..., :, -12:] = False
        mse = float(((warp - truth)[ok] ** 2).mean())
        assert 10 * np.log10(1 / mse) > 35, (k, mse)
    # the part of the frame that was outside frame 0 (the pan brings it in) is marked as such
    assert 0.0 < float(cand[:, 6].mean()) < 1.0


def test_layer_prewarp_is_none_without_layers():
    _, f0, f1 = _pan()
    pair = motionmod.pair_motion(f0, f1, "cpu", motion="plain")
    assert motionmod.layer_prewarp(to_tensor(f0, "cpu"), to_tensor(f1, "cpu"), pair, 0.5) is None


def test_extended_network_computes_what_the_base_network_computes():
    base = _random_head(InterpNet(k=5, widths=(8, 8, 8), t_gate=True))
    torch.nn.init.normal_(base.stem[0].weight, std=0.2)
    ext = base.with_layer_inputs()
    assert ext.layer and ext.stem[0].in_channels == base.stem[0].in_channels + 8
    x = [torch.rand(2, 3, 32, 48) for _ in range(4)]
    wt = torch.rand(2, 1, 32, 48)
    cand = torch.cat([torch.rand(2, 6, 32, 48), torch.ones(2, 2, 32, 48)], 1)
    a = base(*x, torch.tensor([0.3, 0.6]), wt)
    b = ext(*x, torch.tensor([0.3, 0.6]), wt, cand=cand)
    assert torch.allclose(a, b, atol=1e-6)


def test_untrained_layer_network_equals_dis_exactly():
    _, f0, f1 = _pan()
    dis, net = DisMethod(), NetworkMethod(InterpNet(k=5, widths=(8, 8, 8), t_gate=True, layer=True))
    sd, sn = dis.prepare(f0, f1), net.prepare(f0, f1)
    for t in (0.25, 0.5):
        assert torch.equal(dis.frame_tensor(sd, t), net.frame_tensor(sn, t))


def test_gate_brings_in_the_camera_warp_and_never_an_outside_sample():
    res = torch.zeros(1, 3, 4, 4)
    cand = torch.cat([torch.full((1, 3, 4, 4), 0.2), torch.full((1, 3, 4, 4), 0.8), torch.ones(1, 2, 4, 4)], 1)
    out = torch.zeros(1, 2, 4, 4)
    assert torch.equal(InterpNet.mix_layer(out, res, cand), res)  # zero head: no gate
    out[:, 0] = 50.0  # gate fully open, mix 0.5
    mixed = InterpNet.mix_layer(out, res, cand)
    assert torch.allclose(mixed, torch.full_like(mixed, 0.5), atol=1e-4)
    cand[:, 6, :, :2] = 0.0  # frame 0's camera sample outside its image: only frame 1's
    cand[:, 7, :2, :] = 0.0  # ... and where both are outside: the network's own result
    mixed = InterpNet.mix_layer(out, res, cand)
    assert torch.allclose(mixed[:, :, 2:, :2], torch.full((1, 3, 2, 2), 0.8), atol=1e-4)
    assert torch.equal(mixed[:, :, :2, :2], res[:, :, :2, :2])
    assert torch.allclose(mixed[:, :, :2, 2:], torch.full((1, 3, 2, 2), 0.2), atol=1e-4)


@pytest.mark.parametrize("layer", [False, True])
def test_weights_round_trip_keeps_the_layer_flag(tmp_path, layer):
    model = _random_head(InterpNet(k=5, widths=(8, 8), layer=layer))
    save_interp_weights(model, tmp_path / "w.safetensors")
    back, _, _ = load_interp_weights(tmp_path / "w.safetensors")
    assert back.layer == layer and back.config() == model.config()
    for (ka, va), (kb, vb) in zip(model.state_dict().items(), back.state_dict().items()):
        assert ka == kb and torch.equal(va, vb)


def test_trained_layer_network_uses_the_candidate():
    _, f0, f1 = _pan()
    model = _random_head(InterpNet(k=5, widths=(8, 8, 8), layer=True), std=0.5)
    net, dis = NetworkMethod(model, border=0), DisMethod()
    a = net.frame_tensor(net.prepare(f0, f1), 0.5)
    model.head[-1].weight.data[-2:] = 0.0  # close the gate: only the candidate's contribution changes
    model.head[-1].bias.data[-2:] = 0.0
    b = net.frame_tensor(net.prepare(f0, f1), 0.5)
    assert not torch.equal(a, b) and not torch.equal(b, dis.frame_tensor(dis.prepare(f0, f1), 0.5))
