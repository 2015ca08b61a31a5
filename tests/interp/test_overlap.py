"""The overlapped data path (#16): background decode / motion / encode stages give the bytes of the sequential path,
and `build` keeps every new frame on the interpolation device (only each pair's mean and centre frame come back)."""

from __future__ import annotations

import hashlib
import shutil
import threading
import time
from pathlib import Path

import pytest

from uhdvd_data.common.stages import OrderedWriter, prefetched

clipgen = pytest.importorskip("clipgen")
clirun = pytest.importorskip("clirun")


def _hashes(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_prefetched_keeps_order_bounds_the_queue_and_reraises():
    made = []

    def source():
        for i in range(50):
            made.append(i)
            yield i

    it = prefetched(source(), 3)
    assert next(it) == 0
    time.sleep(0.2)
    assert len(made) <= 5  # at most the queue (3), the item in hand and one waiting to be put
    assert list(it) == list(range(1, 50))

    def bad():
        yield 1
        raise ValueError("decode failed")

    with pytest.raises(ValueError, match="decode failed"):
        list(prefetched(bad(), 2))
    gen = prefetched(iter(range(1000)), 2)  # a consumer that stops early leaves no thread behind
    next(gen)
    gen.close()
    time.sleep(0.1)
    assert not [t for t in threading.enumerate() if t.name == "uhdvd-reader"]


def test_ordered_writer_runs_in_order_and_reraises():
    out = []
    with OrderedWriter(2) as w:
        for i in range(20):
            w.submit(lambda i=i: (time.sleep(0.001 * (i % 3)), out.append(i)))
    assert out == list(range(20))

    def boom():
        raise OSError("disk full")

    w = OrderedWriter(2)
    w.submit(boom)
    with pytest.raises(OSError, match="disk full"):
        for _ in range(5):
            w.submit(lambda: None)
        w.close()


_cli = clirun.code


@pytest.mark.slow
def test_overlapped_interpolation_is_byte_identical_to_sequential(in_tmp):
    raw = in_tmp / "raw"
    raw.mkdir()
    shutil.copy(clipgen.make_clip(size=(96, 64), frames=6), raw / "a.mp4")
    common = ["--fps", "240", "--method", "dis", "--device", "cpu"]
    assert _cli("interpolate", "raw", *common, "--out", "seq", "--motion-workers", "0", "--io-queue", "0") == 0
    assert _cli("interpolate", "raw", *common, "--out", "ovl", "--motion-workers", "2", "--io-queue", "3") == 0
    seq, ovl = _hashes(in_tmp / "seq"), _hashes(in_tmp / "ovl")
    assert len(seq) > 20 and seq == ovl


@pytest.mark.slow
def test_build_keeps_new_frames_on_the_device(in_tmp, monkeypatch):
    """No full-size interpolated frame crosses back to the host in `build`: Method.frame (the host copy) is never
    called at full size, and per pair exactly one window mean and one centre frame are copied back."""
    import uhdvd_data.interp.methods as methods
    import uhdvd_data.synth.fused as fused

    real_frame = methods.Method.frame

    def no_host_frames(self, st, t):  # the quality self-check runs at half size on the host: allowed
        out = real_frame(self, st, t)
        if out.shape[:2] == (64, 96):
            raise AssertionError("a new full-size frame was copied to the host")
        return out

    counts = {"mean": 0, "copies": 0}
    real_avg, real_copy = fused.device_average, methods.codes_to_numpy

    def avg(*a, **k):
        counts["mean"] += 1
        return real_avg(*a, **k)

    def copy(codes, dtype):
        counts["copies"] += tuple(codes.shape[:2]) == (64, 96)  # full size (the self-check's are half size)
        return real_copy(codes, dtype)

    monkeypatch.setattr(methods.Method, "frame", no_host_frames)
    monkeypatch.setattr(fused, "device_average", avg)
    monkeypatch.setattr(methods, "codes_to_numpy", copy)
    raw = in_tmp / "raw"
    raw.mkdir()
    shutil.copy(clipgen.make_clip(size=(96, 64), frames=5), raw / "a.mp4")
    assert _cli("build", "raw", "--fps", "480", "--window", "9", "--method", "dis", "--device", "cpu",
                "--no-progress") == 0
    pairs = len((in_tmp / "manifests/4krd.csv").read_text().splitlines()) - 1
    # centre frames are captured (their decoded host array is kept); each window's two end frames come back once for
    # the blur length in pixels (blurpx, measured on the host as synthesize does)
    assert pairs >= 3 and counts == {"mean": pairs, "copies": 2 * pairs}
