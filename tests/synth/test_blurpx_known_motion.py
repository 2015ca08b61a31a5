"""Blur length in pixels against known motion, through the whole chain (#20): a real photo panned at 1 px per 480 fps
frame, filmed at 30 fps, interpolated back to 480 fps and averaged: a window of W frames spans W - 1 px of travel."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from clirun import cli
from skimage import data

V = 1.0  # px per 480 fps frame (16 px per 30 fps frame)


def _pan_clip(path: Path, frames: int = 6) -> None:
    from uhdvd_data.video.writer import VideoWriter

    img = data.astronaut()  # 512x512 real photo
    with VideoWriter(path, 30, codec="ffv1", pix_fmt="bgr0", crf=None) as w:
        for i in range(frames):
            x = int(16 * V * i)
            w.write(np.ascontiguousarray(img[100:260, x:x + 256]))


def _rows(path: str) -> list[dict]:
    return list(csv.DictReader(open(path)))


@pytest.mark.slow
def test_blur_px_matches_the_true_path_and_blur_px_picks_the_implied_window(in_tmp, capsys):
    (in_tmp / "raw").mkdir()
    _pan_clip(in_tmp / "raw" / "pan.mkv")
    assert cli(capsys, "interpolate", "raw", "--fps", "480", "--method", "dis", "--device", "cpu",
               "--no-progress")[0] == 0
    for window in (7, 9, 11, 13):
        man = f"manifests/w{window}.csv"
        rc, out, err = cli(capsys, "synthesize", "--window", str(window), "--manifest", man, "--out", f"d{window}",
                           "--no-progress", "--no-quality")
        assert rc == 0, err
        p50 = [float(r["blur_px_p50"]) for r in _rows(man)]
        assert p50 and all(abs(p - (window - 1) * V) <= 1.5 for p in p50), (window, p50)
    rc, out, err = cli(capsys, "synthesize", "--window", "1:13", "--blur-px", "7:9", "--manifest", "manifests/s.csv",
                       "--out", "ds", "--no-progress", "--no-quality")
    assert rc == 0, err
    assert {int(r["window"]) for r in _rows("manifests/s.csv")} == {9}  # 8 px of travel: only W = 9 lies in 7..9
