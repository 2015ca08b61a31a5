"""uhdvd-deblur's video output goes through VideoWriter's public API: a failed run leaves no partial file."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from uhdvd_data.common.images import write_image
from uhdvd_data.video import VideoWriter, probe
from uhdvd_model.infer.video import VideoSink, deblur_stream


class FailsAt:
    def __init__(self, n):
        self.n, self.seen = n, 0

    def reset(self):
        pass

    def __call__(self, rgb):
        self.seen += 1
        if self.seen == self.n:
            raise RuntimeError("model crashed")
        return rgb


def _folder(tmp_path, n=4):
    src = tmp_path / "in"
    src.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        write_image(src / f"{i:03d}.png", rng.integers(0, 256, (48, 64, 3), dtype=np.uint8))
    return src


def test_failed_run_leaves_no_partial_video_and_keeps_old_output(tmp_path):
    src = _folder(tmp_path)
    out = tmp_path / "out.mp4"
    out.write_bytes(b"older result")
    with pytest.raises(RuntimeError, match="model crashed"):
        deblur_stream(FailsAt(3), src, out, fps=Fraction(24), progress=False, scene_threshold=0)
    assert out.read_bytes() == b"older result"
    assert not list(tmp_path.glob(".tmp-*"))
    stats = deblur_stream(FailsAt(99), src, out, fps=Fraction(24), progress=False, scene_threshold=0)
    info = probe(out, hash=False)
    assert stats["frames"] == 4 == info.frame_count and Fraction(info.fps_num, info.fps_den) == 24


def test_sink_uses_public_writer(tmp_path):
    sink = VideoSink(tmp_path / "v.mkv", Fraction(30), "libx264", 18, None)
    sink.abort()  # nothing opened yet: no-op
    sink.write("0", np.zeros((48, 64, 3), np.uint8))
    assert isinstance(sink.w, VideoWriter) and sink.w.is_open and sink.w.frames == 1
    sink.abort()
    assert not sink.w.is_open and not list(tmp_path.iterdir())
