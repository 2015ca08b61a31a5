"""Steering the blur (#20): which window each pair uses when `--window A:B` and/or `--blur-px LO:HI` are given."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from .config import SynthConfig
from .windows import Layout, Window, shrunk, vary


def choose_window(w: Window, cfg: SynthConfig, clip_id: str, frame_of: Callable[[int], np.ndarray]) -> Window | None:
    """The window pair `w` uses (laid out at --window's largest size): `--window A:B` draws its odd size (seeded);
    `--blur-px LO:HI` keeps only the sizes whose blur_px_p50, measured on the size's end frames (`frame_of(index)`,
    RGB), is within [LO, HI]. None: no size fits (the pair is skipped)."""
    if cfg.window_min is None and cfg.blur_px is None:
        return w
    allowed = None
    if cfg.blur_px is not None:
        from .blurpx import blur_px

        def allowed(size: int) -> bool:
            s = shrunk(w, size)
            return cfg.blur_px[0] <= blur_px(frame_of(s.start), frame_of(s.end))[0] <= cfg.blur_px[1]
    return vary(w, cfg.window_min or 1, cfg.seed, clip_id, allowed)


def steer(lay: Layout, cfg: SynthConfig, clip_id: str, frame_of: Callable[[int], np.ndarray]) -> Layout:
    """`lay` with each window chosen by choose_window; windows without a fitting size counted in skipped_blur."""
    if cfg.window_min is None and cfg.blur_px is None:
        return lay
    chosen = [choose_window(w, cfg, clip_id, frame_of) for w in lay.windows]
    return dataclasses.replace(lay, windows=[w for w in chosen if w is not None],
                               skipped_blur=sum(w is None for w in chosen))
