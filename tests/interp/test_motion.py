"""Pair motion and pre-warping (uhdvd_data.interp.motion): fused vs plain motion on exact synthetic truth."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from uhdvd_data.interp import motion as mm
from uhdvd_data.interp.methods import DisMethod
from uhdvd_data.render import Scene, load_photo, make_occluder


def _q8(x):
    return (np.clip(x, 0, 1) * 255 + 0.5).astype(np.uint8)


def _psnr(a, b):
    d = a.astype(np.float64) - b.astype(np.float64)
    return 10 * np.log10(255.0**2 / max(np.mean(d * d), 1e-12))


@pytest.fixture(scope="module")
def occluder_scene():
    """Slow camera pan plus an object moving 60 px/frame relative to the background (DIS follows the background)."""
    occ = make_occluder(load_photo("coffee"), np.random.default_rng(0), 96, 80)
    return Scene(load_photo("astronaut"), occ, (180, 320), (256.0, 256.0), (-10.0, 2.0), 0.0, 0.0, 1.0, 0.0,
                 (60.0, 40.0), (50.0, 4.0))


def _frames(sc, js, motion, **kw):
    m = DisMethod(motion=motion, **kw)
    st = m.prepare(_q8(sc.render(0.0)), _q8(sc.render(1.0)))
    return [m.frame(st, j / 16) for j in js], st


def test_fused_beats_plain_on_a_fast_independent_mover(occluder_scene):
    js = (4, 8, 12)
    truth = [_q8(occluder_scene.render(j / 16)) for j in js]
    plain, _ = _frames(occluder_scene, js, "plain")
    fused, _ = _frames(occluder_scene, js, "fused")
    p = np.mean([_psnr(a, b) for a, b in zip(plain, truth)])
    f = np.mean([_psnr(a, b) for a, b in zip(fused, truth)])
    assert f > p + 2.0, (p, f)  # measured 27.0 -> 29.2 dB (31.0 with the sharp splat + cutoff before 2026-12-02,
    # which lost 0.6 dB on real walking people: benchmarks/interp_real.py decides)


def test_fused_is_deterministic(occluder_scene):
    a, _ = _frames(occluder_scene, (5,), "fused")
    b, _ = _frames(occluder_scene, (5,), "fused")
    assert np.array_equal(a[0], b[0])


def test_fused_at_lower_flow_resolution_and_16_bit(occluder_scene):
    f0 = (np.clip(occluder_scene.render(0.0), 0, 1) * 65535 + 0.5).astype(np.uint16)
    f1 = (np.clip(occluder_scene.render(1.0), 0, 1) * 65535 + 0.5).astype(np.uint16)
    m = DisMethod(motion="fused", flow_max_side=160)  # flows at 160x90, upscaled
    st = m.prepare(f0, f1)
    assert st.motion.fused.f01.shape[-2:] == (90, 160)
    out = m.frame(st, 0.5)
    assert out.dtype == np.uint16 and out.shape == f0.shape
    assert _psnr((out >> 8).astype(np.uint8), _q8(occluder_scene.render(0.5))) > 22.0


def test_prewarp_flows_are_fp32_and_masks_in_range(occluder_scene):
    f0, f1 = _q8(occluder_scene.render(0.0)), _q8(occluder_scene.render(1.0))
    motion = mm.pair_motion(f0, f1)
    x0 = torch.from_numpy(f0).permute(2, 0, 1)[None].float() / 255
    x1 = torch.from_numpy(f1).permute(2, 0, 1)[None].float() / 255
    ft0, ft1, v0, v1 = mm.flows_to(motion, 0.3, 180, 320, "cpu")
    assert ft0.dtype == torch.float32 and ft0.shape == (1, 2, 180, 320) and v0.shape == (1, 1, 180, 320)
    assert float(v0.min()) >= 0.0 and float(v1.max()) <= 1.0 + 1e-6 and float(v0.mean()) > 0.8
    w0, w1, wt = mm.prewarp(x0, x1, motion, 0.3)
    assert w0.shape == x0.shape and float(wt.min()) >= 0.0 and float(wt.max()) <= 1.0


def test_unknown_motion_is_refused():
    with pytest.raises(ValueError, match="unknown motion"):
        DisMethod(motion="magic")
    z = np.zeros((16, 16, 3), np.uint8)
    with pytest.raises(ValueError, match="unknown motion"):
        mm.pair_motion(z, z, motion="magic")
