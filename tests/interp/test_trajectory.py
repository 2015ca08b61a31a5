"""Quadratic trajectories through three captured frames (splat.displacement, motion.accelerate, DisMethod neighbours,
pipeline.generate's look-ahead)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import torch

from uhdvd_data.interp import motion as mm
from uhdvd_data.interp import splat
from uhdvd_data.interp.methods import DisMethod
from uhdvd_data.interp.pipeline import generate
from uhdvd_data.render import Scene, load_photo


def _const(h, w, dx, dy):
    f = torch.zeros(1, 2, h, w)
    f[:, 0], f[:, 1] = dx, dy
    return f


def _q8(x):
    return (np.clip(x, 0, 1) * 255 + 0.5).astype(np.uint8)


def _psnr(a, b):
    d = a.astype(np.float64) - b.astype(np.float64)
    return 10 * np.log10(255.0**2 / max(np.mean(d * d), 1e-12))


def test_uniform_acceleration_gives_exact_intermediate_flows():
    """x(t) = v t + a t^2 / 2 sampled at t = -1, 0, 1, 2: the quadratic splat reproduces it, the linear one misses by
    t (1 - t) a / 2."""
    h, w, v, a = 24, 40, 4.0, 2.0
    pos = lambda t: v * t + a * t * t / 2  # noqa: E731
    f01, f10 = _const(h, w, pos(1) - pos(0), 0.0), _const(h, w, pos(0) - pos(1), 0.0)
    acc0 = f01 + _const(h, w, pos(-1) - pos(0), 0.0)
    acc1 = f10 + _const(h, w, pos(2) - pos(1), 0.0)
    z = torch.zeros(1, 1, h, w)
    inner = (slice(None), 0, slice(4, -4), slice(10, -10))
    for t in (0.25, 0.5, 0.75):
        ft0, ft1, _, _ = splat.motion_at_t(f01, f10, z, z, t, acc0, acc1)
        assert torch.allclose(ft0[inner], torch.full_like(ft0[inner], pos(0) - pos(t)), atol=1e-4)
        assert torch.allclose(ft1[inner], torch.full_like(ft1[inner], pos(1) - pos(t)), atol=1e-4)
        lin0, _, _, _ = splat.motion_at_t(f01, f10, z, z, t)
        assert abs(float(lin0[inner].mean()) - (pos(0) - pos(t))) > 0.9 * t * (1 - t) * a / 2


def test_no_acceleration_is_the_linear_splat_bit_for_bit():
    g = torch.Generator().manual_seed(0)
    f01, f10 = torch.randn(1, 2, 16, 20, generator=g) * 3, torch.randn(1, 2, 16, 20, generator=g) * 3
    z0, z1 = -torch.rand(1, 1, 16, 20, generator=g), -torch.rand(1, 1, 16, 20, generator=g)
    zero = torch.zeros_like(f01)
    for a, b in zip(splat.motion_at_t(f01, f10, z0, z1, 0.3), splat.motion_at_t(f01, f10, z0, z1, 0.3, None, None)):
        assert torch.equal(a, b)
    for a, b in zip(splat.motion_at_t(f01, f10, z0, z1, 0.3), splat.motion_at_t(f01, f10, z0, z1, 0.3, zero, zero)):
        assert torch.allclose(a, b, atol=1e-6)


def test_camera_acceleration_only_where_the_layer_explains_both_pairs():
    h, w = 10, 12
    l_next, l_prev = _const(h, w, 5.0, 1.0), _const(h, w, -3.0, -1.0)
    f_next, f_prev = l_next.clone(), l_prev.clone()
    f_next[..., 2, 3] += 4.0  # a mover in this pair
    f_prev[..., 7, 8] += 4.0  # a mover in the other pair
    acc = mm.camera_acceleration(f_next, l_next, f_prev, l_prev)
    assert torch.equal(acc[..., 2, 3], torch.zeros(1, 2)) and torch.equal(acc[..., 7, 8], torch.zeros(1, 2))
    keep = torch.ones(h, w, dtype=torch.bool)
    keep[2, 3] = keep[7, 8] = False
    assert torch.allclose(acc[0, 0][keep], torch.full((h * w - 2,), 2.0))
    assert torch.allclose(acc[0, 1][keep], torch.zeros(h * w - 2))
    assert mm.camera_acceleration(f_next, None, f_prev, l_prev) is None


def test_accelerate_leaves_the_pair_motion_alone_and_skips_missing_neighbours():
    f = _const(6, 8, 1.0, 0.0)
    z = torch.zeros(1, 1, 6, 8)
    cur = mm.PairMotion(fused=mm.SplatMotion(f, -f, z, z, f, -f))
    prev = mm.PairMotion(fused=mm.SplatMotion(f, -f, z, z, f, -f))
    out = mm.accelerate(cur, prev, None)
    assert cur.fused.acc0 is None and out.fused.acc0 is not None and out.fused.acc1 is None
    assert torch.equal(out.fused.acc0, torch.zeros_like(f))  # constant velocity: no acceleration
    plain = mm.PairMotion(f, -f)
    assert mm.accelerate(plain, plain, plain) is plain


class _AcceleratingPan(Scene):
    """A camera panning with constant acceleration (a shaking or starting camera): its centre moves as
    v t + accel t^2 / 2 output px."""

    accel: tuple[float, float] = (0.0, 0.0)

    def camera_matrix(self, t):
        m = super().camera_matrix(t)
        m[0, 2] += self.accel[0] * t * t / 2 * self.scale0
        m[1, 2] += self.accel[1] * t * t / 2 * self.scale0
        return m


def test_quadratic_beats_linear_on_an_accelerating_camera():
    sc = _AcceleratingPan(load_photo("astronaut"), None, (144, 256), (256.0, 256.0), (8.0, 2.0), 0.0, 0.0, 1.0, 0.0)
    sc.accel = (12.0, -6.0)  # linear trajectories miss by up to 1.7 px at t = 1/2
    f = {k: _q8(sc.render(float(k))) for k in (-1, 0, 1, 2)}
    scores = {}
    for traj in ("linear", "quadratic"):
        m = DisMethod(trajectory=traj)
        st = m.prepare(f[0], f[1], before=f[-1], after=f[2])
        scores[traj] = np.mean([_psnr(m.frame(st, t), _q8(sc.render(t))) for t in (0.25, 0.5, 0.75)])
    assert scores["quadratic"] > scores["linear"] + 3.0, scores
    m, lin = DisMethod(), DisMethod(trajectory="linear")
    without = m.frame(m.prepare(f[0], f[1]), 0.5)  # no neighbours: linear
    assert np.array_equal(without, lin.frame(lin.prepare(f[0], f[1], before=f[-1], after=f[2]), 0.5))


class _Recorder:
    """A stand-in method that records which neighbours each pair was given."""

    def __init__(self):
        self.calls = []

    def prepare(self, a, b, before=None, after=None):
        self.calls.append((a, b, before, after))
        return a

    def frame(self, st, t):
        return st


def test_generate_gives_each_pair_its_neighbours_within_the_segment():
    rng = np.random.default_rng(0)
    base = [rng.integers(0, 256, (32, 48, 3), dtype=np.uint8) for _ in range(2)]
    # frames 0-2 of one scene, a cut, frames 3-5 of another: small drifts of two unrelated images
    frames = [np.roll(base[0], 2 * i, axis=1) for i in range(3)] + [np.roll(base[1], 2 * i, axis=1) for i in range(3)]
    rec = _Recorder()
    meta: dict = {}
    rows = list(generate(iter(frames), rec, 4, Fraction(30), meta))
    assert len(rows) == 21 and [b["after_src_index"] for b in meta["boundaries"]] == [2]
    got = [tuple(next((k for k, f in enumerate(frames) if f is x), None) if x is not None else None for x in c)
           for c in rec.calls]
    assert got == [(0, 1, None, 2), (1, 2, 0, None), (3, 4, None, 5), (4, 5, 3, None)]


def test_each_pair_motion_is_computed_once_through_a_clip(monkeypatch):
    calls = []
    real = mm.pair_motion

    def counting(a, b, *args, **kw):
        calls.append((id(a), id(b)))
        return real(a, b, *args, **kw)

    monkeypatch.setattr(mm, "pair_motion", counting)
    sc = Scene(load_photo("astronaut"), None, (96, 160), (256.0, 256.0), (6.0, 1.0), 0.0, 0.0, 1.0, 0.0)
    frames = [_q8(sc.render(float(k))) for k in range(5)]
    list(generate(iter(frames), DisMethod(), 4, Fraction(30), {}))
    assert len(calls) == 4 and len(set(calls)) == 4
