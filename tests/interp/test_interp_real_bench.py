"""benchmarks/interp_real.py (real-footage frame drop) runs on a few real frames and its figures mean what they say."""

from __future__ import annotations

from fractions import Fraction

import numpy as np


def _bench():
    import interp_real  # benchmarks/ is on the path (tests/conftest.py)

    return interp_real


def test_frame_drop_on_real_frames_and_table():
    R = _bench()
    clip = next(c for c in R.CLIPS if c.name == "carphone")  # 176x144: tiny, real
    frames = R.read_segment(R.FOOTAGE / clip.file, 0, 5)
    assert len(frames) == 5 and frames[0].shape == (144, 176, 3)
    rows = []
    for name in ("blend", "dis-full", "default"):
        preds, truths = R.frame_drop(R.build_method(name, None), frames, 2, Fraction(30))
        assert len(preds) == 2 and all(np.array_equal(t, frames[i]) for t, i in zip(truths, (1, 3)))  # dropped ones
        p = float(np.mean([R.psnr(a, b) for a, b in zip(preds, truths)]))
        rows.append({"clip": clip.name, "held_out": False, "factor": 2, "method": name, "psnr": p, "ssim": 0.9,
                     "n": 2, "s_per_frame": 0.1})
    by = {r["method"]: r["psnr"] for r in rows}
    assert 20 < by["blend"] < by["default"] < 60, by
    text = R.table(rows, ["blend", "dis-full", "default"])
    assert "| carphone | 2 |" in text and "default − dis-full" in text and "mean, tuning" in text


def test_held_out_clips_are_marked_and_shipped():
    R = _bench()
    held = {c.name for c in R.CLIPS if c.held_out}
    assert held == {"bikes", "box"}
    for c in R.CLIPS:
        assert (R.FOOTAGE / c.file).is_file(), c.file
    assert "held out" in (R.FOOTAGE / "README.md").read_text().lower()
