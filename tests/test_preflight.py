"""Disk pre-flight of interpolate / synthesize / build: an estimate in the start-up line, a refusal before any
output when it does not fit (#20)."""

from __future__ import annotations

import shutil

import pytest

clipgen = pytest.importorskip("clipgen")


_cli = pytest.importorskip("clirun").cli


@pytest.fixture()
def raw(in_tmp):
    (in_tmp / "raw").mkdir()
    shutil.copy(clipgen.make_clip(size=(96, 64), frames=5), in_tmp / "raw" / "a.mp4")
    return in_tmp / "raw"


def test_estimate_is_printed_and_a_full_disk_refuses_before_any_frame(raw, capsys, monkeypatch):
    import uhdvd_data.common.diskspace as ds

    monkeypatch.setattr(ds, "free_bytes", lambda folder: 300 * 2**20)  # 300 MB: below the 256 MB reserve + need
    monkeypatch.setattr(ds, "RESERVE", 300 * 2**20)
    rc, out, err = _cli(capsys, "interpolate", "raw", "--fps", "240", "--method", "blend", "--device", "cpu",
                        "--no-progress")
    assert rc != 0 and len(err.strip().splitlines()) == 1
    assert "interp: not enough disk space: 33 frames of" in err and "300.0 MB free" in err and "build" in err
    assert not (raw.parent / "interp").exists()
    rc, out, err = _cli(capsys, "interpolate", "raw", "--fps", "240", "--method", "blend", "--device", "cpu",
                        "--no-progress", "--no-space-check")
    assert rc == 0 and "disk: 33 frames of" in out
    rc, out, err = _cli(capsys, "synthesize", "--window", "7", "--no-progress")
    assert rc != 0 and "dataset: not enough disk space: up to 5 pairs" in err and "jpg" in err
    assert not (raw.parent / "dataset").exists()
    monkeypatch.setattr(ds, "RESERVE", 0)
    rc, out, err = _cli(capsys, "synthesize", "--window", "7", "--no-progress", "--no-quality")
    assert rc == 0 and "disk: up to 5 pairs of" in out
    rc, out, err = _cli(capsys, "synthesize", "--window", "7", "--no-progress", "--no-quality")
    assert rc == 0 and "disk: up to 2 pairs of" in out  # a rerun counts only captured frames without a pair yet
    monkeypatch.setattr(ds, "RESERVE", 300 * 2**20)
    rc, out, err = _cli(capsys, "build", "raw", "--fps", "240", "--method", "blend", "--device", "cpu", "--out",
                        "fused", "--no-progress")
    assert rc != 0 and "fused: not enough disk space" in err and not (raw.parent / "fused").exists()
