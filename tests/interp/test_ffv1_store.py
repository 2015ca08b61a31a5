"""The ffv1 clip store: lossless, read sequentially (each frame decoded once), seeks for jumps, clean failures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from uhdvd_data.common.errors import UserError
from uhdvd_data.interp.ffv1 import Ffv1Frames
from uhdvd_data.interp.store import FFV1_NAME, FrameRow, InterpClip, InterpClipWriter

N = 64  # > 5 ffmpeg FFV1 keyframe intervals (12 frames)


def _frames(n=N, h=24, w=32, dtype=np.uint8):
    rng = np.random.default_rng(3)
    maxv = np.iinfo(dtype).max
    return [rng.integers(0, maxv, (h, w, 3), dtype=dtype, endpoint=True) for _ in range(n)]


def _write(folder: Path, frames, fmt: str) -> InterpClip:
    wr = InterpClipWriter(folder, format=fmt)
    for i, f in enumerate(frames):
        wr.write(FrameRow(i, i / 480, i // 16 if i % 16 == 0 else None, 0), f)
    wr.finish({"width": frames[0].shape[1], "height": frames[0].shape[0]})
    return InterpClip(folder)


@pytest.fixture(scope="module", params=[np.uint8, np.uint16], ids=["8bit", "16bit"])
def stores(request, tmp_path_factory):
    root = tmp_path_factory.mktemp("ffv1")
    frames = _frames(dtype=request.param)
    return frames, _write(root / "png", frames, "png"), _write(root / "mkv", frames, "ffv1")


def test_sequential_reads_decode_each_frame_once(stores):
    frames, png, mkv = stores
    assert mkv.format == "ffv1" and not list(mkv.folder.glob("*.png"))
    for i in range(3, N, 2):  # windows skip a few frames: still no seek
        assert np.array_equal(mkv.read(i), frames[i]), i
        assert np.array_equal(mkv.read_bgr(i), png.read_bgr(i)), i
    video = mkv._video()
    assert video.seeks == 0 and video.decoded == N
    mkv.close()


def test_jumps_seek_and_stay_exact(stores):
    frames, png, mkv = stores
    with InterpClip(mkv.folder) as clip:
        order = [50, 51, 10, 63, 30, 0, 40, 39, 62, 25, 24, 36]
        for i in order:
            got = clip.read_bgr(i)
            assert got.flags.c_contiguous and got.dtype == frames[0].dtype
            assert np.array_equal(got[..., ::-1], frames[i]), i
        video = clip._video()
        assert video.seeks >= 4 and video.decoded < 4 * N  # never decodes from the start for every jump


def test_check_video_and_truncation(stores, tmp_path):
    frames, _, mkv = stores
    with InterpClip(mkv.folder) as clip:
        assert clip.check_video(N - 1) == (32, 24)
    data = (mkv.folder / FFV1_NAME).read_bytes()
    cut = tmp_path / FFV1_NAME
    cut.write_bytes(data[: len(data) // 2])
    v = Ffv1Frames(cut, N)
    with pytest.raises(UserError, match=r"frames\.mkv: .*(ends before frame|unreadable|cannot decode)"):
        v.check_has(N - 1)
    with pytest.raises(UserError) as e:
        for i in range(N):
            v.read(i)
    assert len(str(e.value).splitlines()) == 1 and str(cut) in str(e.value)
    v.close()
    with pytest.raises(UserError, match="no frame 64"):
        Ffv1Frames(cut, N).read(N)
    with pytest.raises(UserError, match="missing frame video"):
        Ffv1Frames(tmp_path / "none.mkv", N).read(0)


def test_writer_abort_and_bad_frame_leave_no_temp(tmp_path):
    wr = InterpClipWriter(tmp_path / "c", format="ffv1")
    f = _frames(2)
    wr.write(FrameRow(0, 0.0, 0, 0), f[0])
    assert list((tmp_path / "c").glob(".tmp-*"))  # encoding into a temp file
    with pytest.raises(ValueError, match="same size"):
        wr.write(FrameRow(1, 0.1, None, 0), f[1][:8])
    assert not list((tmp_path / "c").iterdir())
    wr = InterpClipWriter(tmp_path / "d", format="ffv1")
    wr.write(FrameRow(0, 0.0, 0, 0), f[0])
    wr.abort()
    assert not list((tmp_path / "d").iterdir())
