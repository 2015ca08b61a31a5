"""Disk pre-flight and the disk-full message."""

from __future__ import annotations

import errno

import pytest

from uhdvd_data.common import atomic, diskspace
from uhdvd_data.common.errors import UserError


def test_preflight_line_and_refusal(tmp_path, monkeypatch):
    monkeypatch.setattr(diskspace, "free_bytes", lambda folder: 10 * 2**30)
    line = diskspace.preflight(tmp_path / "interp", diskspace.estimate(1000, 2**20), "1000 frames")
    assert "~1.1 GB" in line and "10.0 GB free" in line
    with pytest.raises(UserError, match=r"interp: not enough disk space: 100000 frames needs ~107.4 GB, 10.0 GB free "
                                        r"\(about 9% of it fits\); use build"):
        diskspace.preflight(tmp_path / "interp", diskspace.estimate(100000, 2**20), "100000 frames",
                            hint="use build")
    assert "~107.4 GB" in diskspace.preflight(tmp_path, diskspace.estimate(100000, 2**20), "x", skip=True)


def test_free_bytes_of_a_folder_not_made_yet(tmp_path):
    assert diskspace.free_bytes(tmp_path / "a" / "b") == diskspace.free_bytes(tmp_path) > 0


def test_disk_full_mid_write_is_one_line_naming_the_file(tmp_path):
    target = tmp_path / "frames" / "000123.png"
    with pytest.raises(UserError, match=r"000123.png: no space left on the device while writing it \(.* free\)"):
        with atomic.atomic_open(target) as f:
            f.write(b"x")
            raise OSError(errno.ENOSPC, "No space left on device")
    assert not list((tmp_path / "frames").iterdir())  # no temp file left behind
