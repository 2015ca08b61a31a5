"""Variable-frame-rate footage onto its constant-rate grid by interpolation, not by repeating frames.

Phones drop frames in low light and stamp the rest with jitter; the pipeline's time grid (output frame k*factor =
grid frame k at k/fps) needs one frame per grid time. Repeating the nearest source frame (the reader's plain `cfr`
resampling) leaves a still pair and then a double jump in the 480 fps output, and every blur window over it is wrong.
Here a grid time that lies within TOLERANCE of a frame interval of a source frame takes that frame; any other grid
time gets the frame interpolated at its exact time between the two source frames around it. Grid times after the
last source frame hold it (counted as duplicated).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from fractions import Fraction

import numpy as np

from ..video.clipinfo import Frame

TOLERANCE = 0.125  # of the grid interval: a source frame this close to a grid time is used as it is


def retimed(items: Iterable[tuple[float, np.ndarray]], fps: Fraction, n_grid: int,
            between: Callable[[np.ndarray, np.ndarray, float], np.ndarray],
            stats: dict | None = None) -> Iterator[Frame]:
    """Frames of the grid k/fps (k < n_grid) from (time_s, rgb) source frames in increasing time. between(a, b, t) is
    the frame at fraction t of the way from a to b (the interpolator). A grid frame that uses a source frame carries
    its index and time; an interpolated one carries the earlier source frame's (and src_index -1 - that index, so a
    reader can tell). stats gains 'output_frames', 'interpolated', 'duplicated' (held) and 'off_grid' (recorded frames
    no grid time takes as they are: used only to interpolate, or past the grid's end)."""
    stats = {} if stats is None else stats
    for key in ("output_frames", "interpolated", "duplicated", "off_grid"):
        stats[key] = 0
    period = float(Fraction(fps.denominator, fps.numerator))
    it = iter(enumerate(items))
    prev = next(it, None)
    if prev is None:
        return
    nxt = next(it, None)
    used = -1
    for k in range(n_grid):
        stats["output_frames"] += 1
        g = k * period
        while nxt is not None and nxt[1][0] <= g + TOLERANCE * period:
            if used != prev[0]:
                stats["off_grid"] += 1
            prev, nxt = nxt, next(it, None)
        (i, (ti, a)) = prev
        # close enough, past the last frame, or before the first (a late first timestamp): the recorded frame
        if abs(g - ti) <= TOLERANCE * period or nxt is None or g < ti:
            stats["duplicated"] += used == i
            used = i
            yield Frame(index=k, time_s=g, rgb=a, src_index=i, src_time_s=ti)
            continue
        _, (tj, b) = nxt
        stats["interpolated"] += 1
        yield Frame(index=k, time_s=g, rgb=between(a, b, (g - ti) / (tj - ti)), src_index=-1 - i, src_time_s=ti)
    rest = sum(1 for _ in it) + (nxt is not None)
    stats["off_grid"] += rest + (used != prev[0])


def pair_interpolator(method, scene_threshold: float | None = None) -> Callable[[np.ndarray, np.ndarray, float], np.ndarray]:
    """between(a, b, t) for `retimed` from an interpolation method (prepare/frame); a pair's motion is computed once
    for all the grid times that fall between it. Across a scene cut (scenes.is_cut at `scene_threshold`) nothing is
    synthesized: the nearer frame is held (the pipeline then finds the cut between grid frames)."""
    from . import scenes

    last: list = [None, None, None]  # (a, b, state): the arrays themselves are held, so identity checks are safe

    def between(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
        if last[0] is not a or last[1] is not b:
            cut = scene_threshold is not None and scenes.is_cut(a, b, scene_threshold)
            last[:] = [a, b, None if cut else method.prepare(a, b)]
        if last[2] is None:
            return a if t < 0.5 else b
        return method.frame(last[2], t)

    return between
