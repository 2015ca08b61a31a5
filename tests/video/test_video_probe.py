"""probe(): rotation, VFR, bit depth, fps fractions, audio, device tags, colour transfer, find_videos."""

from __future__ import annotations

from fractions import Fraction

import clipgen
import pytest

from uhdvd_data.common.errors import UserError
from uhdvd_data.common.hashing import sha256_file
from uhdvd_data.video import ClipInfo, find_videos, probe


def test_plain_clip_fields():
    p = clipgen.make_clip(size=(96, 64), fps="30", frames=8)
    info = probe(p)
    assert isinstance(info, ClipInfo)
    assert (info.width, info.height) == (96, 64)
    assert (info.fps_num, info.fps_den) == (30, 1) and info.fps_str == "30"
    assert info.frame_count == 8
    assert info.duration_s == pytest.approx(8 / 30)
    assert info.codec == "h264" and info.pix_fmt == "yuv420p" and info.bit_depth == 8
    assert info.rotation == 0 and not info.vfr and not info.has_audio
    assert info.make is None and info.model is None
    assert info.sha256 == sha256_file(p)
    assert probe(p, hash=False).sha256 is None
    row = info.as_row()
    assert row["fps"] == "30" and row["frame_count"] == 8 and row["sha256"] == info.sha256


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_rotation_from_display_matrix(rotation):
    info = probe(clipgen.make_clip(size=(96, 64), rotation=rotation))
    assert info.rotation == rotation
    expect = (64, 96) if rotation in (90, 270) else (96, 64)
    assert (info.width, info.height) == expect


def test_vfr_flag_from_timestamps():
    assert probe(clipgen.make_clip(vfr=True, frames=12)).vfr is True
    cfr = probe(clipgen.make_clip(frames=12))
    assert cfr.vfr is False


def test_vfr_clip_keeps_nominal_ntsc_rate():
    info = probe(clipgen.make_clip(vfr=True, frames=12, fps="30000/1001"))
    assert info.vfr and info.fps_fraction == Fraction(30000, 1001)


@pytest.mark.parametrize(("rate", "expect"), [("30000/1001", Fraction(30000, 1001)),
                                              ("60000/1001", Fraction(60000, 1001)), ("25", Fraction(25))])
def test_exact_fps_fraction(rate, expect):
    info = probe(clipgen.make_clip(fps=rate))
    assert info.fps_fraction == expect
    if expect.denominator == 1001:
        assert info.fps_str == f"{expect.numerator}/1001"


def test_mkv_millisecond_timestamps_still_ntsc_and_cfr():
    info = probe(clipgen.make_clip(fps="30000/1001", container=".mkv"))
    assert info.fps_fraction == Fraction(30000, 1001)
    assert not info.vfr


def test_10bit_hevc():
    info = probe(clipgen.make_clip(codec="libx265", pix_fmt="yuv420p10le"))
    assert info.codec == "hevc" and info.bit_depth == 10 and info.pix_fmt == "yuv420p10le"


@pytest.mark.parametrize("transfer", ["hlg", "pq"])
def test_hdr_transfer(transfer):
    info = probe(clipgen.make_clip(codec="libx265", pix_fmt="yuv420p10le", transfer=transfer))
    assert info.transfer == transfer and info.is_hdr


def test_audio_and_device_tags():
    info = probe(clipgen.make_clip(audio=True, make="Apple", model="iPhone 11 Pro Max"))
    assert info.has_audio
    assert info.make == "Apple" and info.model == "iPhone 11 Pro Max"
    assert info.device_model == "Apple iPhone 11 Pro Max"
    android = probe(clipgen.make_clip(android_model="SM-G988B"))
    assert android.model == "SM-G988B"


def test_scene_cut_clip_counts_both_parts():
    assert probe(clipgen.scene_cut_clip(frames_each=5)).frame_count == 10


def test_edit_list_trimmed_clip_counts_shown_frames():
    from uhdvd_data.video import open_video

    p = clipgen.trimmed_clip(frames=30, start_s=0.2)
    info = probe(p)
    with open_video(p) as v:
        n = sum(1 for _ in v)
    assert info.frame_count == n == 24 and not info.vfr


def test_sparse_avi_is_not_called_truncated():
    """Fewer stored frames than the header's slot count, but timestamps over every slot: a complete clip at its
    real rate (a cut-off file is still refused: test_video_bad_inputs' truncated_mdat)."""
    from uhdvd_data.video import open_video

    p = clipgen.sparse_avi(frames=12, every=6)
    info = probe(p)
    with open_video(p) as v:
        n = sum(1 for _ in v)
    assert info.frame_count == n == 12 and info.fps_fraction == Fraction(5, 2) and not info.vfr


def test_find_videos(tmp_path):
    a = tmp_path / "a" / "x.mp4"
    b = tmp_path / "b.MOV"
    a.parent.mkdir()
    a.write_bytes(b"1")
    b.write_bytes(b"1")
    (tmp_path / "notes.txt").write_text("x")
    assert find_videos([tmp_path]) == [a, b] or find_videos([tmp_path]) == sorted([a, b])
    assert find_videos([b, tmp_path]) == [b, a]  # given order, duplicates removed
    with pytest.raises(UserError, match="no such file or folder"):
        find_videos([tmp_path / "nope"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match=r"empty: no video files"):
        find_videos([tmp_path / "empty"])
