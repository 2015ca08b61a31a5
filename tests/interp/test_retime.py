"""VFR footage onto its constant-rate grid: off-grid grid times are interpolated at their exact time, not repeated."""

from __future__ import annotations

import json
import shutil
from fractions import Fraction
from pathlib import Path

import clipgen
import cv2
import numpy as np
import pytest
from clirun import cli

from uhdvd_data.interp import retime
from uhdvd_data.interp.store import InterpClip


def _lerp_recorder():
    calls = []

    def between(a, b, t):
        calls.append((float(a.flat[0]), float(b.flat[0]), round(t, 6)))
        return a * (1 - t) + b * t

    return between, calls


def test_grid_times_use_close_frames_and_interpolate_the_rest():
    # source frames (value = index) at 0, 1, 3 (2 dropped), 4.02 (jitter), 5.5 (off grid), 7, in 1/30 s units
    times = [0, 1, 3, 4.02, 5.5, 7]
    items = [(t / 30, np.full((2, 2), float(i))) for i, t in enumerate(times)]
    between, calls = _lerp_recorder()
    stats = {}
    out = list(retime.retimed(items, Fraction(30), 8, between, stats))
    assert [f.index for f in out] == list(range(8))
    assert [f.src_index for f in out] == [0, 1, -2, 2, 3, -4, -5, 5]  # -1 - i: interpolated after source frame i
    assert calls == [(1.0, 2.0, 0.5), (3.0, 4.0, round(0.98 / 1.48, 6)), (4.0, 5.0, round(0.5 / 1.5, 6))]
    assert out[2].rgb[0, 0] == pytest.approx(1.5) and out[4].rgb[0, 0] == 3.0
    assert stats == {"output_frames": 8, "interpolated": 3, "duplicated": 0, "off_grid": 1}  # 5.5: only an anchor


def test_grid_past_the_last_frame_holds_it_and_cfr_input_passes_through():
    items = [(k / 30, np.full((1, 1), float(k))) for k in range(4)]
    between, calls = _lerp_recorder()
    stats = {}
    out = list(retime.retimed(items, Fraction(30), 6, between, stats))
    assert [f.src_index for f in out] == [0, 1, 2, 3, 3, 3] and not calls
    assert stats == {"output_frames": 6, "interpolated": 0, "duplicated": 2, "off_grid": 0}
    stats = {}
    assert len(list(retime.retimed(items, Fraction(30), 2, between, stats))) == 2 and stats["off_grid"] == 2


def test_no_frame_is_synthesized_across_a_scene_cut():
    class Stub:
        prepared = 0

        def prepare(self, a, b):
            Stub.prepared += 1
            return (a, b)

        def frame(self, st, t):
            return (st[0] * (1 - t) + st[1] * t).astype(np.uint8)

    between = retime.pair_interpolator(Stub(), scene_threshold=0.7)
    rng = np.random.default_rng(0)
    a, b = (cv2.resize((rng.random((8, 12, 3)) * 255).astype(np.uint8), (96, 64)) for _ in range(2))  # two scenes
    assert between(a, b, 0.3) is a and between(a, b, 0.7) is b and Stub.prepared == 0
    c = np.roll(a, 2, axis=1)
    between(a, c, 0.25)
    between(a, c, 0.75)
    assert Stub.prepared == 1  # one pair's motion serves every grid time between it


def test_interpolate_puts_a_vfr_clip_on_its_grid_without_repeats(in_tmp, capsys):
    Path("raw").mkdir()
    shutil.copy(clipgen.make_clip(size=(96, 64), vfr=True, frames=12), "raw/phone.mp4")
    rc, _, err = cli(capsys, "interpolate", "raw/", "--fps", "60", "--method", "blend", "--no-progress")
    assert rc == 0, err
    meta = json.loads(Path("interp/phone/clip.json").read_text())
    st = meta["vfr_stats"]
    assert st["resampled"] and st["source_frames"] == 12
    assert st["interpolated"] >= 2 and st["duplicated"] == 0, st  # the dropped frame is made, not repeated
    assert st["output_frames"] == 13  # 12 recorded frames over 12 intervals (one dropped): grid 0..12
    # grid frames retime made are not captured frames: frames.csv leaves their src_index empty (no window is
    # centred on them), the recorded ones keep theirs
    rows = InterpClip(Path("interp/phone")).rows
    captured = [r.index // 2 for r in rows if r.index % 2 == 0 and r.src_index is not None]
    assert len(captured) == 13 - st["interpolated"] == 8  # recorded within 1/8 frame of their grid time
    assert all(r.src_index is None for r in rows if r.index % 2)
