"""`uhdvd-data probe`: table, CSV columns and values, atomic write."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import clipgen

from uhdvd_data.video import CSV_COLUMNS

BIN = Path(sys.executable).parent / "uhdvd-data"


def test_probe_folder_writes_csv(in_tmp):
    raw = in_tmp / "raw" / "phone"
    raw.mkdir(parents=True)
    shutil.copy(clipgen.make_clip(rotation=90, fps="30000/1001", audio=True, make="Apple", model="iPhone 11 Pro Max"),
                raw / "portrait.mov")
    shutil.copy(clipgen.make_clip(vfr=True, frames=12), in_tmp / "raw" / "vfr.mp4")
    shutil.copy(clipgen.make_clip(codec="libx265", pix_fmt="yuv420p10le"), in_tmp / "raw" / "hevc10.mkv")
    (in_tmp / "raw" / "readme.txt").write_text("not a video")
    r = subprocess.run([str(BIN), "probe", "raw/"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "portrait.mov" in out and "64x96" in out and "30000/1001" in out and "iPhone 11 Pro Max" in out
    assert "wrote manifests/footage.csv (3 clips)" in out
    with open(in_tmp / "manifests" / "footage.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0].keys()) == CSV_COLUMNS
    by = {Path(r["path"]).name: r for r in rows}
    assert set(by) == {"portrait.mov", "vfr.mp4", "hevc10.mkv"}
    p = by["portrait.mov"]
    assert (p["width"], p["height"], p["rotation"], p["fps"]) == ("64", "96", "90", "30000/1001")
    assert p["has_audio"] == "True" and p["make"] == "Apple" and p["model"] == "iPhone 11 Pro Max"
    assert by["vfr.mp4"]["vfr"] == "True" and p["vfr"] == "False"
    assert by["hevc10.mkv"]["bit_depth"] == "10" and by["hevc10.mkv"]["codec"] == "hevc"
    assert len(by["hevc10.mkv"]["sha256"]) == 64
    assert not list((in_tmp / "manifests").glob(".tmp-*"))


def test_probe_custom_out(in_tmp):
    clip = clipgen.make_clip(frames=4)
    r = subprocess.run([str(BIN), "probe", str(clip), "--out", "x/y.csv", "--no-hash"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    rows = (in_tmp / "x" / "y.csv").read_text().splitlines()
    assert len(rows) == 2 and ",," in rows[1]  # empty sha256 with --no-hash
