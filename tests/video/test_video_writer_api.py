"""VideoWriter as the one encoder: ffmpeg-python command, abort, one-line errors, lazy size, RGB (ffv1) output."""

from __future__ import annotations

import gc
from fractions import Fraction

import clipgen
import numpy as np
import pytest

import uhdvd_data.video.writer as writer_mod
from uhdvd_data.common.errors import UserError
from uhdvd_data.common.ffmpeg_bin import ffmpeg_exe
from uhdvd_data.video import VideoWriter, open_video


def _frame(i=0, h=48, w=64, dtype=np.uint8):
    rng = np.random.default_rng(i)
    return rng.integers(0, np.iinfo(dtype).max, (h, w, 3), dtype=dtype, endpoint=True)


def _opt(cmd, name):
    return cmd[cmd.index(name) + 1]


def test_command_is_built_with_ffmpeg_python(tmp_path, monkeypatch):
    import ffmpeg

    calls = []
    real = ffmpeg.output
    monkeypatch.setattr(ffmpeg, "output", lambda *a, **k: calls.append(k) or real(*a, **k))
    cmd = VideoWriter(tmp_path / "o.mp4", Fraction(30000, 1001), 64, 48).command()
    assert calls and cmd[0] == ffmpeg_exe()
    assert cmd[cmd.index("-i") - 8:cmd.index("-i") + 2] == [
        "-f", "rawvideo", "-framerate", "30000/1001", "-pix_fmt", "rgb24", "-s", "64x48", "-i", "pipe:"]
    assert _opt(cmd, "-c:v") == "libx264" and _opt(cmd, "-crf") == "18" and _opt(cmd, "-preset") == "medium"
    assert cmd.count("-pix_fmt") == 2 and cmd[len(cmd) - cmd[::-1].index("-pix_fmt")] == "yuv420p"
    assert "out_color_matrix=bt709" in _opt(cmd, "-vf") and _opt(cmd, "-colorspace") == "bt709"
    assert _opt(cmd, "-movflags") == "+faststart" and "-map" not in cmd
    assert cmd[-6:] == [str(tmp_path / "o.mp4"), "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]


def test_command_lossless_rgb_audio_and_options(tmp_path):
    cmd = VideoWriter(tmp_path / "f.mkv", 30, 32, 24, codec="ffv1", pix_fmt="gbrp16le", crf=None,
                      options={"level": 3}).command(np.uint16)
    assert _opt(cmd, "-pix_fmt") == "rgb48le" and _opt(cmd, "-c:v") == "ffv1" and _opt(cmd, "-level") == "3"
    assert "gbrp16le" in cmd
    for absent in ("-vf", "-colorspace", "-crf", "-movflags", "-preset"):
        assert absent not in cmd
    src = clipgen.make_clip(audio=True, frames=3)
    cmd = VideoWriter(tmp_path / "a.mkv", 30, 96, 64, audio_from=src, qp=0, pix_fmt="yuv444p").command()
    maps = [cmd[i + 1] for i, a in enumerate(cmd) if a == "-map"]
    assert maps == ["0:v:0", "1:a:0?"] and _opt(cmd, "-c:a") == "copy" and _opt(cmd, "-qp") == "0"  # mkv: any audio
    assert "-crf" not in cmd and cmd[cmd.index(str(src)) - 1] == "-i"


def test_ffv1_rgb_roundtrip_is_lossless_and_size_comes_from_first_frame(tmp_path):
    frames = [_frame(i, dtype=np.uint16) for i in range(3)]
    w = VideoWriter(tmp_path / "x.mkv", 30, codec="ffv1", pix_fmt="gbrp16le", crf=None)
    assert not w.is_open and w.frames == 0
    for f in frames:
        w.write(f)
    assert (w.width, w.height, w.frames) == (64, 48, 3) and w.is_open
    assert w.close() == w.path == tmp_path / "x.mkv" and not w.is_open
    import av

    with av.open(str(w.path)) as c:
        got = [fr.to_ndarray(format="rgb48le") for fr in c.decode(video=0)]
    assert all(np.array_equal(a, b) for a, b in zip(got, frames, strict=True))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.mkv"]


def test_abort_leaves_no_partial_file_and_keeps_old_target(tmp_path):
    out = tmp_path / "o.mp4"
    out.write_bytes(b"previous")
    w = VideoWriter(out, 30, 64, 48)
    for i in range(3):
        w.write(_frame(i))
    proc = w._proc
    assert len(list(tmp_path.glob(".tmp-o.mp4.*"))) == 1
    w.abort()
    assert proc.poll() is not None and not w.is_open
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.mp4"] and out.read_bytes() == b"previous"
    w.abort()  # idempotent
    with pytest.raises(UserError, match="no frames written"):
        w.close()


def test_unclosed_writer_is_cleaned_when_collected(tmp_path):
    w = VideoWriter(tmp_path / "g.mp4", 30, 64, 48)
    w.write(_frame())
    proc = w._proc
    del w
    gc.collect()
    assert proc.poll() is not None and not list(tmp_path.iterdir())


def test_ffmpeg_failure_is_one_line_naming_file_and_ffmpeg_cause(tmp_path):
    out = tmp_path / "x.mp4"
    w = VideoWriter(out, 30, 64, 48, codec="no_such_codec")
    with pytest.raises(UserError) as e:
        for i in range(50):
            w.write(_frame(i))
        w.close()
    msg = str(e.value)
    assert len(msg.splitlines()) == 1 and msg.startswith(f"{out}: video encoding failed: ")
    cause = msg.split("video encoding failed: ", 1)[1]
    assert cause and not cause.startswith("ffmpeg failed")  # ffmpeg's own last stderr line
    assert not list(tmp_path.iterdir()) and not w.is_open


def test_missing_ffmpeg_binary_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(writer_mod, "ffmpeg_exe", lambda: str(tmp_path / "no-ffmpeg"))
    w = VideoWriter(tmp_path / "o.mp4", 30, 64, 48)
    with pytest.raises(UserError, match=r"o\.mp4: cannot run ffmpeg"):
        w.write(_frame())
    assert not list(tmp_path.iterdir())


def test_frames_of_another_dtype_or_size_are_refused(tmp_path):
    with VideoWriter(tmp_path / "o.mp4", 30, 64, 48) as w:
        w.write(_frame())
        with pytest.raises(ValueError, match="same dtype"):
            w.write(_frame(dtype=np.uint16))
        with pytest.raises(ValueError, match="expected 48x64x3"):
            w.write(_frame(h=32))
        w.write(_frame(1))
    with open_video(tmp_path / "o.mp4") as v:
        assert sum(1 for _ in v) == 2 == w.frames
