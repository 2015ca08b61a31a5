"""Output time grid: an integer factor so every captured frame lands on the grid.

factor = round(target / source fps) (half up, at least 1); out fps = source fps * factor, kept as an exact fraction:
30 -> 16 (480), 60 -> 8 (480), 30000/1001 -> 16 (480000/1001 = 479.52), 25 -> 19 (475), 24 -> 20 (480).
Output frame i * factor is source frame i; frame n is at time n / out_fps; intermediate frames of the source pair
(i, i+1) sit at t = j / factor, j = 1 .. factor - 1.
"""

from __future__ import annotations

import math
from fractions import Fraction

from ..common.errors import UserError


def as_fraction(fps) -> Fraction:
    if isinstance(fps, Fraction):
        return fps
    if isinstance(fps, str):
        return Fraction(fps)
    return Fraction(fps).limit_denominator(1001000)


def factor_for(src_fps, target_fps) -> int:
    src = as_fraction(src_fps)
    target = as_fraction(target_fps)
    if src <= 0 or target <= 0:
        raise UserError(f"frame rates must be positive (source {float(src):g}, --fps {float(target):g})")
    return max(1, math.floor(target / src + Fraction(1, 2)))


def out_fps(src_fps, factor: int) -> Fraction:
    return as_fraction(src_fps) * factor


def fraction_str(f: Fraction) -> str:
    return f"{f.numerator}/{f.denominator}" if f.denominator != 1 else str(f.numerator)


def frame_time(index: int, fps: Fraction) -> float:
    return float(Fraction(index) / fps)
