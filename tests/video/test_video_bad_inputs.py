"""Every bad input: one line naming the file and the cause, non-zero exit, no traceback, no CSV written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import clipgen
import pytest

from uhdvd_data.common.errors import UserError
from uhdvd_data.video import find_videos, probe

BIN = Path(sys.executable).parent / "uhdvd-data"

# case -> regex the cause must match
CAUSES = {
    "missing": r"no such file",
    "empty_folder": r"no video files",
    "zero_byte": r"empty file \(0 bytes\)",
    "truncated": r"not a readable video .*truncated",
    "truncated_mdat": r"truncated file: header promises 30 frames, only \d+ present",
    "jpeg_renamed": r"is a still image \(jpeg_pipe\), not a video",
    "audio_only": r"no video stream \(audio only\)",
    "one_frame": r"only 1 frame; interpolation needs at least 2 frames",
    "gray_pix_fmt": r"unsupported pixel format gray",
    "unknown_codec": r"unsupported codec",
}


@pytest.fixture(scope="module")
def bad():
    return clipgen.bad_inputs()


@pytest.mark.parametrize("case", sorted(CAUSES))
def test_probe_api_error(bad, case):
    path = bad[case]
    with pytest.raises(UserError, match=CAUSES[case]) as e:
        probe(path) if case not in ("empty_folder", "missing") else find_videos([path])
    msg = str(e.value)
    assert msg.startswith(f"{path}: ") and "\n" not in msg


@pytest.mark.parametrize("case", sorted(CAUSES))
def test_probe_cli_error(bad, case, in_tmp):
    path = bad[case]
    r = subprocess.run([str(BIN), "probe", str(path)], capture_output=True, text=True)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(f"uhdvd-data: error: {path}: ")
    import re

    assert re.search(CAUSES[case], lines[0])
    assert "Traceback" not in r.stderr
    assert not (in_tmp / "manifests" / "footage.csv").exists()
    assert not any((in_tmp / "manifests").glob("*")) if (in_tmp / "manifests").exists() else True


def test_one_bad_clip_fails_whole_command_unless_skip_bad(bad, in_tmp):
    good = clipgen.make_clip(frames=4)
    r = subprocess.run([str(BIN), "probe", str(good), str(bad["truncated_mdat"])], capture_output=True, text=True)
    assert r.returncode == 2 and str(bad["truncated_mdat"]) in r.stderr
    assert not (in_tmp / "manifests" / "footage.csv").exists()
    r = subprocess.run([str(BIN), "probe", str(good), str(bad["truncated_mdat"]), str(bad["missing"]), "--skip-bad"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "2 bad input(s) skipped" in r.stdout
    warn = [ln for ln in r.stderr.splitlines() if ln.startswith("uhdvd-data: warning: skipped")]
    assert len(warn) == 2
    rows = (in_tmp / "manifests" / "footage.csv").read_text().splitlines()
    assert len(rows) == 2 and rows[1].startswith(str(good))
    # nothing usable at all -> error, no CSV
    (in_tmp / "manifests" / "footage.csv").unlink()
    r = subprocess.run([str(BIN), "probe", str(bad["one_frame"]), "--skip-bad"], capture_output=True, text=True)
    assert r.returncode == 2 and "no usable video clips" in r.stderr
    assert not (in_tmp / "manifests" / "footage.csv").exists()


def test_permission_denied_message(monkeypatch, capsys, in_tmp):
    """Tests run as root (chmod 000 does not block root), so simulate the OS refusing the read."""
    import builtins

    import uhdvd_data.video.probing as probe_mod
    from uhdvd_data.cli import main

    target = clipgen.make_clip(frames=4)
    real_open = builtins.open

    def deny(file, *a, **k):
        if os.fspath(file) == str(target):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *a, **k)

    monkeypatch.setattr(probe_mod, "open", deny, raising=False)
    with pytest.raises(UserError, match="permission denied"):
        probe(target)
    with pytest.raises(SystemExit) as e:
        main(["probe", str(target)])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"uhdvd-data: error: {target}: permission denied (cannot read the file)"]
    assert not (in_tmp / "manifests" / "footage.csv").exists()


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can read chmod 000 files")
def test_permission_denied_real(tmp_path):
    p = tmp_path / "locked.mp4"
    p.write_bytes(clipgen.make_clip(frames=4).read_bytes())
    p.chmod(0)
    try:
        with pytest.raises(UserError, match="permission denied"):
            probe(p)
    finally:
        p.chmod(0o644)
