"""Frame-rate helpers: snapping, VFR detection, nearest-frame CFR resampling with dup/drop counts."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from uhdvd_data.video.vfr import grid_length, is_vfr, nominal_rate, resample_to_grid, snap_rate


def test_snap_rate():
    assert snap_rate(29.97002997) == Fraction(30000, 1001)
    assert snap_rate(Fraction(30)) == Fraction(30)
    assert snap_rate(59.94) == Fraction(60000, 1001)
    assert snap_rate(23.976) == Fraction(24000, 1001)
    assert snap_rate(Fraction(27, 1)) == Fraction(27)  # non-standard kept


def test_is_vfr():
    assert not is_vfr(np.array([3003] * 10))
    assert not is_vfr(np.array([33, 33, 34, 33, 33, 34]))  # 1 ms time-base rounding is not VFR
    assert is_vfr(np.array([3003, 3003, 6006, 3003]))  # dropped frame
    assert is_vfr(np.array([3900, 2100, 3000, 3900]))


def test_nominal_rate_vfr_uses_median_interval():
    deltas = np.array([3003, 3003, 3903, 2103, 3003, 6006, 3003])
    assert nominal_rate(deltas, Fraction(1, 90000), Fraction(25), vfr=True) == Fraction(30000, 1001)


def test_nominal_rate_of_a_sparse_clip_is_its_slot_rate():
    """OpenCV's tree.avi: frames stamped every 5-11 slots of 1/15 s (median 6: 2.5 fps, no standard rate); the slot
    rate 15 keeps every recorded frame on the grid."""
    deltas = np.array([11, 6, 7, 7, 6, 6, 6, 7, 5, 6, 10, 6])
    assert nominal_rate(deltas, Fraction(1, 15), Fraction(15), vfr=True) == 15


def test_resample_identity_for_cfr_times():
    times = [i / 30 for i in range(5)]
    st: dict = {}
    out = list(resample_to_grid(((t, i) for i, t in enumerate(times)), Fraction(30), 5, st))
    assert [o[4] for o in out] == [0, 1, 2, 3, 4]
    assert st == {"duplicated": 0, "dropped": 0}


def test_resample_duplicates_gap_and_drops_burst():
    # frame 2 missing (gap) and two frames close together at the end
    times = [0.0, 1 / 30, 3 / 30, 4 / 30, 4.2 / 30, 5 / 30]
    st: dict = {}
    n = grid_length(times[-1], Fraction(30))
    assert n == 6
    out = list(resample_to_grid(((t, i) for i, t in enumerate(times)), Fraction(30), n, st))
    assert [o[0] for o in out] == list(range(6))
    assert [o[4] for o in out] == [0, 1, 1, 2, 3, 5]
    assert st == {"duplicated": 1, "dropped": 1}
    assert out[5][1] == 5 / 30
