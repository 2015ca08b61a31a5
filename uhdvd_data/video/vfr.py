"""Frame-rate facts from timestamps: exact nominal fps, VFR detection, and the VFR -> CFR resampling plan."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from fractions import Fraction
from typing import TypeVar

import numpy as np

# Standard rates a measured rate snaps to (NTSC fractions included).
STANDARD_RATES = [
    Fraction(10),
    Fraction(12),
    Fraction(15),
    Fraction(24000, 1001),
    Fraction(24),
    Fraction(25),
    Fraction(30000, 1001),
    Fraction(30),
    Fraction(48),
    Fraction(50),
    Fraction(60000, 1001),
    Fraction(60),
    Fraction(90),
    Fraction(100),
    Fraction(120000, 1001),
    Fraction(120),
    Fraction(240000, 1001),
    Fraction(240),
    Fraction(480),
    Fraction(960),
]

# A clip is VFR when some frame interval differs from the median interval by more than this fraction of it
# (plus one timestamp tick, so time-base rounding such as 33/33/34 ms never counts).
VFR_TOLERANCE = 0.25


def snap_rate(rate: Fraction | float | None, rel_tol: float = 0.0005) -> Fraction | None:
    """Snap a measured frame rate to a standard one when within rel_tol; else an exact-ish fraction."""
    if rate is None or rate <= 0:
        return None
    rate = Fraction(rate)
    best = min(STANDARD_RATES, key=lambda std: abs(rate - std) / std)
    if abs(rate - best) <= best * Fraction(rel_tol):
        return best
    if rate.denominator > 1001:
        rate = rate.limit_denominator(1001)
    return rate


def intervals(pts_sorted: np.ndarray) -> np.ndarray:
    """Successive differences of sorted presentation timestamps (in ticks)."""
    return np.diff(np.asarray(pts_sorted, dtype=np.int64))


def is_vfr(deltas: np.ndarray, tolerance: float = VFR_TOLERANCE) -> bool:
    """True when the frame intervals (ticks) are not constant within tolerance."""
    if len(deltas) < 2:
        return False
    med = float(np.median(deltas))
    if med <= 0:
        return True
    return bool(np.max(np.abs(deltas - med)) > tolerance * med + 1.0)


def nominal_rate(deltas: np.ndarray, time_base: Fraction, container_rate: Fraction | None, vfr: bool) -> Fraction:
    """Exact nominal frame rate. CFR: the container's average rate (when consistent with the timestamps) snapped
    to a standard fraction. VFR: 1 / median interval (phones record e.g. 30000/1001 with jitter and drops),
    snapped to a standard rate within 1.5%, else the container's rate if that is standard."""
    measured = None
    if len(deltas):
        med = float(np.median(deltas))
        if med > 0:
            measured = Fraction(1) / (Fraction(med) * time_base)
    if not vfr:
        if container_rate and container_rate > 0:
            if measured is None or abs(float(container_rate) / float(measured) - 1) < 0.02:
                return snap_rate(container_rate)
        return snap_rate(measured) if measured else Fraction(30)
    for cand in (measured, container_rate):
        if cand and cand > 0:
            snapped = snap_rate(cand, rel_tol=0.015)
            if snapped in STANDARD_RATES:
                return snapped
    return snap_rate(measured or container_rate or Fraction(30))


def grid_length(last_time_s: float, fps: Fraction) -> int:
    """Number of CFR grid frames covering source times 0..last_time_s (nearest-frame rounding)."""
    return int(np.floor(last_time_s * float(fps) + 0.5)) + 1


T = TypeVar("T")


def resample_to_grid(
    items: Iterable[tuple[float, T]], fps: Fraction, n_grid: int | None = None, stats: dict | None = None
) -> Iterator[tuple[int, float, int, float, T]]:
    """Stream (time_s, item) pairs (increasing time) onto the grid k/fps: for each grid time the nearest source
    item (ties go to the earlier one). Yields (k, grid_time, src_index, src_time, item). Updates stats with
    'duplicated' (grid frames that repeat an already used source frame) and 'dropped' (source frames never used)."""
    if stats is None:
        stats = {}
    stats.setdefault("duplicated", 0)
    stats.setdefault("dropped", 0)
    it = iter(enumerate(items))
    try:
        cur_i, (cur_t, cur) = next(it)
    except StopIteration:
        return
    nxt = next(it, None)
    used_i = -1
    k = 0
    period = Fraction(fps.denominator, fps.numerator)
    while n_grid is None or k < n_grid:
        g = float(k * period)
        while nxt is not None and abs(nxt[1][0] - g) < abs(cur_t - g):
            if used_i != cur_i:
                stats["dropped"] += 1
            cur_i, (cur_t, cur) = nxt
            nxt = next(it, None)
        if nxt is None and n_grid is None and g > cur_t + 0.5 * float(period):
            break
        if used_i == cur_i:
            stats["duplicated"] += 1
        used_i = cur_i
        yield k, g, cur_i, cur_t, cur
        k += 1
    # Source frames after the grid ends were dropped.
    if nxt is not None:
        stats["dropped"] += 1 + sum(1 for _ in it)
