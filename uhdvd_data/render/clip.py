"""render_clip(): a demo scene as arrays (video-rate frames + exact high-rate truth), for code and benchmarks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .demo_scene import DemoScene


@dataclass
class RenderedClip:
    """frames: n_frames x H x W x 3 uint8 at fps; truth: ((n_frames-1)*factor+1) x H x W x 3 at fps*factor
    (truth[i*factor] is frames[i] exactly), or None when not requested; camera: scene description (JSON-able)."""

    frames: np.ndarray
    truth: np.ndarray | None
    fps: Fraction
    factor: int
    camera: dict


def scene_for(photo_name: str, size: tuple[int, int], n_frames: int, seed: int, fps: float = 30,
              motion: tuple[float, float] = (10.0, 40.0)) -> DemoScene:
    """The DemoScene render_clip uses (for streaming: call .render_frame(t) yourself)."""
    return DemoScene(photo_name, size, seed, fps=float(fps), motion=motion, duration_s=(n_frames - 1) / float(fps))


def truth_times(n_frames: int, fps: float, factor: int) -> Iterator[tuple[int, float]]:
    """(truth index j, time_s) for j = 0 .. (n_frames-1)*factor; time = j / (fps*factor) exactly as a fraction."""
    rate = Fraction(fps) * factor
    for j in range((n_frames - 1) * factor + 1):
        yield j, float(Fraction(j) / rate)


def render_clip(photo_name: str, size: tuple[int, int] = (320, 180), n_frames: int = 24, seed: int = 0,
                fps: float = 30, factor: int = 16, motion: tuple[float, float] = (10.0, 40.0),
                truth: bool = True) -> RenderedClip:
    """Render a demo scene. size=(width, height); motion = background motion range in px per video frame.
    Benchmarks on held-out scenes use e.g. render_clip('motorcycle', (640, 360), 24, seed, motion=(20, 40))."""
    if n_frames < 2:
        raise ValueError("n_frames must be >= 2")
    scene = scene_for(photo_name, size, n_frames, seed, fps, motion)
    w, h = scene.size
    frames = np.empty((n_frames, h, w, 3), np.uint8)
    tr = np.empty(((n_frames - 1) * factor + 1, h, w, 3), np.uint8) if truth else None
    if truth:
        for j, t in truth_times(n_frames, fps, factor):
            tr[j] = scene.render_frame(t)
        frames[:] = tr[::factor]
    else:
        for i in range(n_frames):
            frames[i] = scene.render_frame(float(Fraction(i) / Fraction(fps)))
    cam = scene.describe()
    cam.update(n_frames=n_frames, factor=factor, truth_fps=float(Fraction(fps) * factor))
    return RenderedClip(frames=frames, truth=tr, fps=Fraction(fps), factor=factor, camera=cam)
