"""Deblurrer: official pre-processing step by step, recurrence and reset, rounding, padding, uint16."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from uhdvd_model.arch import build_model
from uhdvd_model.infer.deblurrer import Deblurrer, to_uint8


def frames(n, h, w, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    return [np.roll(base, 3 * i, axis=1) for i in range(n)]


def test_round_half_up_like_the_released_script():
    v = torch.tensor([-0.5, 0.5, 10.52 / 255 - 0.5, 10.48 / 255 - 0.5, 2.0, -3.0]).view(1, 1, 1, 6).expand(1, 3, 1, 6)
    assert to_uint8(v)[0, :, 0].tolist() == [0, 255, 11, 10, 255, 0]
    x = np.arange(256, dtype=np.uint8)
    t = torch.from_numpy(x).float().div(255).sub(0.5).view(1, 1, 1, -1).expand(1, 3, 1, 256)
    assert np.array_equal(to_uint8(t)[0, :, 0], x)


def _levels(rgb):
    """The released script's blurry pyramid, step by step: 8-bit PIL bilinear resizes (200x300 -> 256x384)."""
    big = Image.fromarray(rgb).resize((384, 256), Image.BILINEAR)
    ims = [big] + [big.resize((384 >> k, 256 >> k), Image.BILINEAR) for k in (1, 2, 3)]
    return [torch.from_numpy(np.asarray(i).copy()).permute(2, 0, 1)[None].float() / 255 - 0.5 for i in ims]


def _inputs(rgb, prev):
    b = _levels(rgb)
    p = b[0] if prev is None else F.interpolate(prev, size=(256, 384), mode="bilinear", align_corners=False)
    return [torch.cat([p, b[0]], 1)] + [
        torch.cat([F.interpolate(p, scale_factor=0.5**k, mode="bilinear", align_corners=False), b[k]], 1)
        for k in (1, 2, 3)]


def test_official_preprocessing_and_feedback_step_by_step():
    model = build_model("uhdvd_official").eval()
    seen = []

    def spy(inputs, out_size=None):  # cheap stand-in for the network: records what it is given
        seen.append([x.clone() for x in inputs])
        y = F.interpolate(inputs[0][:, 3:], size=out_size, mode="bilinear", align_corners=False)
        return [1.5 * y + 0.2]  # leaves [-0.5, 0.5]: the unclamped value must be fed back

    model.forward_levels = spy
    f1, f2, f3 = frames(3, 200, 300)
    d = Deblurrer(model, device="cpu", channels_last=False)
    outs = [d(f) for f in (f1, f2, f3)]
    prev = None
    for i, f in enumerate((f1, f2, f3)):
        ref_in = _inputs(f, prev)
        assert [tuple(x.shape[-2:]) for x in ref_in] == [(256, 384), (128, 192), (64, 96), (32, 48)]
        for got, ref in zip(seen[i], ref_in):
            assert torch.equal(got, ref), i
        prev = spy(ref_in, (200, 300))[0]
        seen.pop()
        ref_u8 = ((prev + 0.5) * 255 + 0.5).clamp(0, 255).to(torch.uint8)[0].permute(1, 2, 0).numpy()
        assert np.array_equal(outs[i], ref_u8)
    assert d.prev.max() > 0.6 and outs[2].max() == 255


def test_official_network_output_step_by_step():
    torch.manual_seed(2)
    model = build_model("uhdvd_official", tile_rows=0).eval()
    f1 = frames(1, 100, 120)[0]
    got = Deblurrer(model, device="cpu").run(f1)
    big = Image.fromarray(f1).resize((128, 128), Image.BILINEAR)
    b = [torch.from_numpy(np.asarray(i).copy()).permute(2, 0, 1)[None].float() / 255 - 0.5
         for i in [big] + [big.resize((128 >> k, 128 >> k), Image.BILINEAR) for k in (1, 2, 3)]]
    ins = [torch.cat([F.interpolate(b[0], scale_factor=0.5**k, mode="bilinear") if k else b[0], b[k]], 1)
           for k in range(4)]
    with torch.inference_mode():
        raw = model.forward_levels(ins, out_size=(256, 256))[0]  # 2H x 2W, no resize
    assert raw.shape[-2:] == (256, 256)
    ref = F.interpolate(raw, size=(100, 120), mode="bilinear", align_corners=False)
    assert got.shape == (1, 3, 100, 120)
    assert (got - ref).abs().max().item() < 1e-5


def test_recurrent_state_and_reset():
    model = build_model("uhdvd").eval()
    f1, f2 = frames(2, 64, 96)
    d = Deblurrer(model, device="cpu")
    a1 = d.run(f1)
    a2 = d.run(f2)
    d.reset()
    b1 = d.run(f1)
    assert torch.equal(a1, b1)
    d.reset()
    c2 = d.run(f2)  # f2 without history differs from f2 after f1
    assert (a2 - c2).abs().max() > 1e-5
    assert a1.shape == (1, 3, 64, 96)


def test_previous_is_kept_unclamped():
    model = build_model("uhdvd").eval()
    with torch.no_grad():
        model.decoder_lv1.layer24.bias.add_(3.0)
    d = Deblurrer(model, device="cpu")
    out = d(frames(1, 64, 96)[0])
    assert out.dtype == np.uint8 and out.shape == (64, 96, 3) and (out == 255).all()
    assert d.prev.max().item() > 1.0


@pytest.mark.parametrize("name", ["uhdvd", "uhdvd_official"])
def test_uint16_input(name):
    f = frames(1, 60, 70)[0]
    d = Deblurrer(build_model(name).eval(), device="cpu")
    a = d.run(f)
    d.reset()
    b = d.run(f.astype(np.uint16) * 257)
    assert (a - b).abs().max().item() < 1e-4
    d.reset()
    assert d(f.astype(np.uint16) * 257).shape == (60, 70, 3)


def test_dmphn_deblurrer_odd_size():
    d = Deblurrer(build_model("dmphn").eval(), device="cpu")
    assert d(frames(1, 33, 47)[0]).shape == (33, 47, 3)


def test_bf16_autocast_switch_runs_on_cpu():
    d = Deblurrer(build_model("dmphn").eval(), device="cpu", dtype="bf16")
    assert d.dtype == torch.bfloat16
    out = d.run(frames(1, 32, 48)[0])
    assert out.dtype == torch.float32 and torch.isfinite(out).all()
