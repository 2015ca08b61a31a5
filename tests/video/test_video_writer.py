"""VideoWriter: exact fractional fps, audio copy, 16-bit input, atomic output."""

from __future__ import annotations

import os
from fractions import Fraction

import clipgen
import numpy as np
import pytest

from uhdvd_data.common.errors import UserError
from uhdvd_data.video import VideoWriter, open_video, probe


def _frames(n, h=48, w=64, dtype=np.uint8):
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (h // 8, w // 8, 3)).astype(np.uint8)
    img = np.kron(base, np.ones((8, 8, 1), np.uint8))
    out = [np.roll(img, 2 * i, axis=1) for i in range(n)]
    if dtype == np.uint16:
        out = [f.astype(np.uint16) * 257 for f in out]
    return out


def test_roundtrip_ntsc_rate_and_pixels(tmp_path):
    out = tmp_path / "o.mp4"
    frames = _frames(5)
    with VideoWriter(out, Fraction(30000, 1001), 64, 48, crf=10) as w:
        for f in frames:
            w.write(f)
    info = probe(out)
    assert info.fps_fraction == Fraction(30000, 1001) and info.frame_count == 5 and info.transfer == "bt709"
    mask = os.umask(0)
    os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~mask  # the usual permissions, not the temp file's 0600
    with open_video(out) as v:
        got = [f.rgb for f in v]
    assert np.abs(got[2].astype(int) - frames[2]).mean() < 4


def test_lossless_444_and_uint16_input(tmp_path):
    out = tmp_path / "o.mp4"
    frames = _frames(3, dtype=np.uint16)
    with VideoWriter(out, 30, 64, 48, qp=0, pix_fmt="yuv444p") as w:
        for f in frames:
            w.write(f)
    with open_video(out) as v:
        got = [f.rgb for f in v]
    assert got[0].dtype == np.uint8
    err = np.abs(got[1].astype(int) - frames[1] // 257)
    assert err.max() <= 6 and err.mean() < 1.0


def test_audio_copied(tmp_path):
    src = clipgen.make_clip(audio=True, frames=15)
    out = tmp_path / "with_audio.mp4"
    with open_video(src) as v, VideoWriter(out, v.fps, v.info.width, v.info.height, audio_from=src) as w:
        for f in v:
            w.write(f.rgb)
    info = probe(out)
    assert info.has_audio and info.frame_count == 15


def test_atomic_no_file_on_error(tmp_path):
    out = tmp_path / "bad.mp4"
    with pytest.raises(RuntimeError), VideoWriter(out, 30, 64, 48) as w:
        w.write(_frames(1)[0])
        raise RuntimeError("boom")
    assert not out.exists() and not list(tmp_path.iterdir())
    with pytest.raises(ValueError):
        VideoWriter(out, 30, 64, 48).write(np.zeros((10, 10, 3), np.uint8))
    w = VideoWriter(out, 30, 64, 48)
    with pytest.raises(UserError, match="no frames written"):
        w.close()
    assert not list(tmp_path.iterdir())


def test_encoder_failure_is_one_line(tmp_path):
    out = tmp_path / "x.mp4"
    w = VideoWriter(out, 30, 64, 48, codec="no_such_codec")
    with pytest.raises(UserError, match=r"x\.mp4: video encoding failed"):
        w.write(_frames(1)[0])
        w.close()
    assert not out.exists()
