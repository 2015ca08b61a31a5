"""open_video(): pixels, rotation, bit depth, timestamps, VFR and HDR policies."""

from __future__ import annotations

import subprocess
import types

import clipgen
import numpy as np
import pytest

from uhdvd_data.common.errors import UserError
from uhdvd_data.common.ffmpeg_bin import ffmpeg_exe
from uhdvd_data.video import Frame, open_video, rotate_cw


def _ffmpeg_frames(path, w, h):
    """Decode with the ffmpeg binary (which auto-rotates by the display matrix) as an independent reference."""
    raw = subprocess.run([ffmpeg_exe(), "-loglevel", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24",
                          "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)


def test_rotate_cw_convention():
    a = np.array([[1, 2], [3, 4]])[..., None]
    # clockwise: the left column (1, 3) becomes the top row read right-to-left (3, 1)
    assert rotate_cw(a, 90)[..., 0].tolist() == [[3, 1], [4, 2]]
    assert rotate_cw(a, 180)[..., 0].tolist() == [[4, 3], [2, 1]]
    assert rotate_cw(a, 270)[..., 0].tolist() == [[2, 4], [1, 3]]


def test_plain_frames_match_ffmpeg():
    p = clipgen.make_clip(size=(96, 64), frames=6)
    with open_video(p) as v:
        frames = list(v)
    assert len(frames) == 6 and all(isinstance(f, Frame) for f in frames)
    assert frames[0].rgb.shape == (64, 96, 3) and frames[0].rgb.dtype == np.uint8
    ref = _ffmpeg_frames(p, 96, 64)
    assert max(np.abs(f.rgb.astype(int) - r).max() for f, r in zip(frames, ref)) <= 2
    assert [f.time_s for f in frames] == pytest.approx([i / 30 for i in range(6)])
    assert v.stats["duplicated"] == 0 and v.stats["dropped"] == 0


@pytest.mark.parametrize("rotation", [90, 270])
def test_rotation_applied_like_ffmpeg(rotation):
    p = clipgen.make_clip(size=(96, 64), frames=3, rotation=rotation)
    with open_video(p) as v:
        rgb = next(iter(v)).rgb
    assert rgb.shape == (96, 64, 3)  # portrait after rotation
    ref = _ffmpeg_frames(p, 64, 96)[0]
    assert np.abs(rgb.astype(int) - ref).mean() < 1.0
    # and not the opposite direction (testsrc2 is asymmetric)
    wrong = rotate_cw(rotate_cw(rgb, 180), 0)
    assert np.abs(wrong.astype(int) - ref).mean() > 20


def test_10bit_decodes_to_uint16_without_loss():
    with open_video(clipgen.make_clip(codec="libx265", pix_fmt="yuv420p10le", frames=3)) as v:
        rgb = next(iter(v)).rgb
    assert rgb.dtype == np.uint16
    assert len(np.unique(rgb)) > 256  # more than 8-bit worth of levels
    assert rgb.max() > 255


def test_hdr_kept_by_default_and_refused_on_request():
    p = clipgen.make_clip(codec="libx265", pix_fmt="yuv420p10le", transfer="hlg", frames=3)
    with open_video(p) as v:
        assert v.info.transfer == "hlg"
        assert next(iter(v)).rgb.dtype == np.uint16
    with pytest.raises(UserError, match=r"HDR footage \(transfer hlg\) refused by --refuse-hdr") as e:
        open_video(p, allow_hdr=False)
    assert str(p) in str(e.value) and "\n" not in str(e.value)


def test_vfr_error_policy():
    p = clipgen.make_clip(vfr=True, frames=12)
    with pytest.raises(UserError, match="variable frame rate") as e:
        open_video(p, vfr="error")
    assert "\n" not in str(e.value) and str(p) in str(e.value)
    with pytest.raises(UserError, match="unknown VFR policy"):
        open_video(p, vfr="bogus")


def test_vfr_resampled_to_cfr_grid():
    p = clipgen.make_clip(vfr=True, frames=12)
    with open_video(p) as v:
        frames = list(v)
        assert v.frame_count == len(frames)
    # timestamps on the exact 30 fps grid, source times recorded
    assert [f.time_s for f in frames] == pytest.approx([k / 30 for k in range(len(frames))])
    # the source drops one frame after N=4 -> 13 grid frames for 12 sources, one duplicate
    assert len(frames) == 13
    assert v.stats["duplicated"] == 1 and v.stats["dropped"] == 0
    assert v.stats["source_frames"] == 12 and v.stats["output_frames"] == 13
    srcs = [f.src_index for f in frames]
    assert srcs == sorted(srcs) and len(set(srcs)) == 12
    src_times = sorted({f.src_time_s for f in frames})  # every source frame is used once or more
    for f in frames:  # each grid frame shows the source frame nearest in time
        assert abs(f.src_time_s - f.time_s) == pytest.approx(min(abs(t - f.time_s) for t in src_times))


def test_reader_streams(monkeypatch):
    """Iteration is lazy: frames come from the decoder one at a time."""
    p = clipgen.make_clip(frames=8)
    v = open_video(p)
    it = iter(v)
    first = next(it)
    assert first.index == 0
    assert isinstance(it, types.GeneratorType)
    rest = list(it)
    assert len(rest) == 7


def test_a_resolution_change_mid_clip_is_one_clear_error():
    """Probing reads only the first frame's size; the reader names the frame where the size changes (before: an
    OpenCV assertion deep in the flow)."""
    p = clipgen.resolution_switch_clip()
    with open_video(p) as v, pytest.raises(UserError, match=r"frame 4 is 128x72, the clip starts at 96x64"):
        for _ in v:
            pass
