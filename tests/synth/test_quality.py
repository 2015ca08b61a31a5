"""synth.quality (pure measurements) and synth.quality_run (checker, stream, filters) on tiny arrays."""

from __future__ import annotations

import math
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from uhdvd_data.interp.methods import make_method
from uhdvd_data.interp.store import FrameRow
from uhdvd_data.synth import quality as q
from uhdvd_data.synth.quality_run import Checker, StreamQuality


def _frames(n=8, h=64, w=96, seed=0, dtype=np.uint8):
    """A texture panning 3 px per captured frame."""
    rng = np.random.default_rng(seed)
    tex = cv2.GaussianBlur(rng.random((h, w + 3 * n, 3)).astype(np.float32), (0, 0), 1.0)
    maxv = np.iinfo(dtype).max
    return [(np.clip(tex[:, 3 * i: 3 * i + w], 0, 1) * maxv).round().astype(dtype) for i in range(n)]


def test_psnr_ssim_conventions():
    a = _frames()[0]
    assert q.psnr(a, a) == q.PSNR_CAP and q.ssim(a, a) == pytest.approx(1.0)
    b = a.copy()
    b[0, 0, 0] ^= 1
    assert 60 < q.psnr(b, a) < q.PSNR_CAP
    a16 = _frames(dtype=np.uint16)[0]
    noisy = np.clip(a16.astype(np.int64) + 257 * 5, 0, 65535).astype(np.uint16)  # 5 levels on the 8-bit scale
    assert q.psnr(noisy, a16) == pytest.approx(q.psnr(np.clip(a.astype(int) + 5, 0, 255).astype(np.uint8), a), abs=0.5)
    assert q.ssim(a[:8, :8], a[:8, :8]) is None  # smaller than the Gaussian window


def test_sharpness_and_relative():
    a = _frames()[0]
    blurred = cv2.GaussianBlur(a, (0, 0), 2.0)
    assert q.sharpness(blurred) < 0.2 * q.sharpness(a)
    assert q.sharpness(a.astype(np.uint16) * 257) == pytest.approx(q.sharpness(a), rel=1e-4)  # 8-bit units
    assert q.relative([1.0, 2.0, None, 4.0]) == [0.5, 1.0, None, 2.0]
    assert q.relative([0.0, 0.0]) == [1.0, 1.0] and q.relative([None]) == [None]


def test_check_side_halves_within_bounds():
    assert [q.check_side(n) for n in (48, 64, 96, 640, 1920, 3840)] == [48, 64, 64, 320, 960, 1024]
    a = _frames()[0]
    assert q.downscale(a[:48, :48]) is not None and q.downscale(a[:48, :48]).shape == (48, 48, 3)
    assert q.downscale(a).shape == (43, 64, 3)
    big = np.zeros((2160, 3840, 3), np.uint16)
    small = q.downscale(big)
    assert small.shape == (576, 1024, 3) and small.dtype == np.uint16


def test_neighbours_reasons():
    segs = {0: 0, 1: 0, 2: 0, 3: 1, 4: 1, 5: 1, 6: 1, 7: 1}
    assert q.neighbours(0, segs.get) == (None, "clip_end")
    assert q.neighbours(2, segs.get) == (None, "cut")
    assert q.neighbours(1, segs.get) == ((None, 0, 2, None), None)
    assert q.neighbours(4, segs.get) == ((None, 3, 5, 7), None)
    assert q.neighbours(7, segs.get) == (None, "clip_end")


def test_failed_filter_keeps_empty_values():
    assert q.failed_filter(None, None, 30.0, 0.5) is None
    assert q.failed_filter(20.0, 0.1, 30.0, 0.5) == "check_psnr"  # failing both counts once, as check_psnr
    assert q.failed_filter(40.0, 0.1, 30.0, 0.5) == "sharpness"
    assert q.failed_filter(20.0, 0.1, None, None) is None


def test_self_check_ranks_methods():
    """dis follows the pan, blend cross-fades: the check sees the difference; both paths of a Checker agree."""
    fr = _frames()
    segs = {i: 0 for i in range(len(fr))}
    got = {}
    for name in ("blend", "dis"):
        p, s, reason = Checker(make_method(name, device="cpu")).run(3, fr.__getitem__, segs.get)
        assert reason is None and math.isfinite(p) and -1 <= s <= 1
        got[name] = p
    assert got["dis"] > got["blend"] + 3, got
    assert Checker(None).run(3, fr.__getitem__, segs.get) == (None, None, "no_method")


def test_stream_matches_checker_and_handles_cuts():
    """StreamQuality (build) gives what the Checker gives on the whole clip (synthesize), cut and ends included."""
    fr = _frames(n=9)
    segs = {i: (0 if i < 5 else 1) for i in range(9)}
    m = make_method("dis", device="cpu", motion="plain")
    sq = StreamQuality(m, window=13)
    for i, f in enumerate(fr):
        sq.push(FrameRow(i * 16, 0.0, i, segs[i]), f)
        if i >= 1:  # a window centred on i - 1 is emitted once frame i has arrived (window 13 < 16 frames)
            sq.target(SimpleNamespace(pair_idx=i - 1, src_frame=i - 1), fr[i - 1])
    got = {r[0]: r for r in sq.finish()["pairs"]}
    ref = Checker(m)
    small = [q.downscale(f) for f in fr]  # the check runs at half size
    for i in range(8):
        p, s, reason = ref.run(i, small.__getitem__, segs.get)
        assert got[i][1:] == [p, s, q.sharpness(fr[i]), reason]
    assert [got[i][4] for i in range(8)] == ["clip_end", None, None, None, "cut", "cut", None, None]


def test_the_self_check_rebuilds_the_mirror_ensemble_a_clip_was_made_with():
    from uhdvd_data.interp.ensemble import MirrorEnsemble
    from uhdvd_data.synth.quality_methods import method_from_meta

    made = make_method("dis", device="cpu", ensemble="mirror")
    meta = {"method": "dis", "method_config": dict(made.describe(), flow_preset="fast"), "device": "cpu",
            "dtype": "float32"}
    m = method_from_meta(meta)
    assert isinstance(m, MirrorEnsemble) and m.inner.flow_preset == "fast"  # settings reach the inner method
    old = {"method": "dis", "method_config": make_method("dis", device="cpu").describe(), "device": "cpu"}
    assert not isinstance(method_from_meta(old), MirrorEnsemble)  # clips made before the ensemble: one pass
