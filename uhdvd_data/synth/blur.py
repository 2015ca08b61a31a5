"""Averaging in linear light: a streaming accumulator so every frame is decoded and linearised once.

blur = round_half_up(maxv * from_linear(mean_i(to_linear(frame_i / maxv))))    (16-bit frames stay 16-bit)

Frames are added to float32 (8-bit) / float64 (16-bit) sums in index order; the fused `build` path uses the same code in the same order, so
both paths give bit-identical results.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from ..common.errors import UserError
from .crf import Codec
from .windows import Window


def apply_saturation(linear: np.ndarray, level: float | None) -> np.ndarray:
    """Simulated sensor saturation: clip linear light at `level` and rescale so `level` maps to white."""
    if level is None or level >= 1.0:
        return linear
    return np.minimum(linear, linear.dtype.type(level)) * linear.dtype.type(1.0 / level)


class WindowAverager:
    """Feed frames in index order; yields (window, blur_linear_mean, sharp_frame) as each window completes."""

    def __init__(self, codec: Codec, windows: Sequence[Window], saturation: float | None = None):
        self.codec = codec
        self.saturation = saturation
        self.windows = sorted(windows, key=lambda w: (w.end, w.start))
        self._by_start: dict[int, list[Window]] = {}
        for w in self.windows:
            self._by_start.setdefault(w.start, []).append(w)
        self._open: dict[int, tuple[Window, np.ndarray]] = {}
        self._sharp: dict[int, np.ndarray] = {}
        self._needed = set()
        for w in self.windows:
            self._needed.update(range(w.start, w.end + 1))
        self.last_needed = max(self._needed, default=-1)

    def needs(self, index: int) -> bool:
        return index in self._needed

    def add(self, index: int, frame: np.ndarray) -> Iterator[tuple[Window, np.ndarray, np.ndarray]]:
        if index not in self._needed:
            return
        for w in self._by_start.get(index, ()):
            self._open[w.pair_idx] = (w, np.zeros(frame.shape, dtype=self.codec.acc_dtype))
        lin = apply_saturation(self.codec.to_linear(frame), self.saturation)
        done = []
        for key, (w, acc) in self._open.items():
            if acc.shape != lin.shape:
                raise UserError(f"frame {index} has size {frame.shape[1]}x{frame.shape[0]}, "
                                f"unlike the rest of the clip ({acc.shape[1]}x{acc.shape[0]})")
            np.add(acc, lin, out=acc)
            if index == w.center:
                self._sharp[key] = frame
            if index == w.end:
                done.append(key)
        for key in done:
            w, acc = self._open.pop(key)
            acc *= acc.dtype.type(1.0 / (w.end - w.start + 1))
            yield w, acc, self._sharp.pop(key)


def sharp_output(codec: Codec, frame: np.ndarray, saturation: float | None) -> np.ndarray:
    """The ground-truth frame: the centre frame, with the same saturation transform as the blur (if any)."""
    if saturation is None or saturation >= 1.0:
        return frame
    return codec.encode(apply_saturation(codec.to_linear(frame), saturation))


def blur_window(codec: Codec, frames: Iterable[np.ndarray], saturation: float | None = None) -> np.ndarray:
    """Convenience: average an explicit list of frames (same arithmetic as WindowAverager)."""
    frames = list(frames)
    w = Window(0, 0, len(frames) - 1, len(frames) // 2, None)
    avg = WindowAverager(codec, [w], saturation)
    for i, f in enumerate(frames):
        for _, acc, _ in avg.add(i, f):
            return codec.encode(acc)
    raise ValueError("no frames")
