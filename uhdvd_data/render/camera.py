"""Closed-form motion paths (any time t in seconds): a hand-held-like camera and an independently moving object.

Coordinates are output pixels. Image points q are relative to the image centre. The camera maps an image point to
the world plane: w = c(t) + R(theta(t)) q / z(t). Everything is a sum of sinusoids, so frames at 480 fps are exact.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np


@dataclass
class Circle:
    """Circular motion of radius a (px), angular speed omega (rad/s), phase, direction sign (+1/-1)."""

    a: float
    omega: float
    phase: float
    sign: float

    def pos(self, t: float) -> np.ndarray:
        ang = self.omega * t + self.phase
        return np.array([self.a * math.cos(ang), self.sign * self.a * math.sin(ang)])


@dataclass
class Wave:
    """mean + amp * sin(omega t + phase)."""

    mean: float
    amp: float
    omega: float
    phase: float

    def at(self, t: float) -> float:
        return self.mean + self.amp * math.sin(self.omega * t + self.phase)


@dataclass
class CameraPath:
    circles: list[Circle]
    theta: Wave  # rotation, radians
    zoom: Wave

    def centre(self, t: float) -> np.ndarray:
        return sum((c.pos(t) for c in self.circles), np.zeros(2))

    def image_to_world(self, t: float) -> np.ndarray:
        """3x3 matrix taking homogeneous image-centred points to world points."""
        th, z = self.theta.at(t), self.zoom.at(t)
        c, s = math.cos(th) / z, math.sin(th) / z
        cx, cy = self.centre(t)
        return np.array([[c, -s, cx], [s, c, cy], [0.0, 0.0, 1.0]])

    def world_to_image(self, t: float) -> np.ndarray:
        return np.linalg.inv(self.image_to_world(t))

    def to_dict(self) -> dict:
        return {"circles": [asdict(c) for c in self.circles], "theta": asdict(self.theta), "zoom": asdict(self.zoom)}


@dataclass
class ObjectPath:
    """Foreground object centre on an ellipse around the image centre (image-centred px), spinning."""

    ax: float
    ay: float
    omega: float
    phase: float
    spin: Wave  # radians
    radius: float  # px

    def centre(self, t: float) -> np.ndarray:
        ang = self.omega * t + self.phase
        return np.array([self.ax * math.cos(ang), self.ay * math.sin(ang)])

    def to_dict(self) -> dict:
        d = asdict(self)
        return d


def make_camera(rng: np.random.Generator, fps: float, motion: tuple[float, float]) -> CameraPath:
    """Random smooth camera whose image motion stays within motion=(lo, hi) px per frame.

    Speed of a sum of circular motions lies in [v1 - v2 - v3, v1 + v2 + v3]: v1 is the middle of the range, the
    wobble v2 and the shake v3 use 60% of the half-range; the rest is margin for zoom (x(1 +- 5%)) and rotation."""
    lo, hi = motion
    mid, half = (lo + hi) / 2, (hi - lo) / 2
    v1 = mid / 1.05
    v2 = 0.40 * half / 1.05
    v3 = 0.20 * half / 1.05
    specs = [(v1, rng.uniform(0.15, 0.25)), (v2, rng.uniform(0.35, 0.55)), (v3, rng.uniform(0.9, 1.4))]
    circles = []
    for v, w in specs:  # v px/frame, w rad/frame
        circles.append(Circle(a=v / w, omega=w * fps, phase=rng.uniform(0, 2 * math.pi),
                              sign=float(rng.choice([-1.0, 1.0]))))
    theta = Wave(0.0, math.radians(rng.uniform(1.0, 3.0)), rng.uniform(0.05, 0.10) * fps, rng.uniform(0, 2 * math.pi))
    zoom = Wave(1.0, rng.uniform(0.02, 0.05), rng.uniform(0.04, 0.08) * fps, rng.uniform(0, 2 * math.pi))
    return CameraPath(circles, theta, zoom)


def make_object(rng: np.random.Generator, fps: float, size: tuple[int, int]) -> ObjectPath:
    w, h = size
    ax, ay = 0.28 * w, 0.22 * h
    speed = rng.uniform(6.0, 14.0) * min(w, h) / 180.0  # px per frame, scaled with frame size
    return ObjectPath(
        ax=ax, ay=ay, omega=float(rng.choice([-1.0, 1.0])) * speed / ax * fps, phase=rng.uniform(0, 2 * math.pi),
        spin=Wave(0.0, rng.uniform(0.2, 0.5), rng.uniform(0.03, 0.08) * fps, rng.uniform(0, 2 * math.pi)),
        radius=0.22 * min(w, h),
    )


def grid_points(size: tuple[int, int], n: int = 5) -> np.ndarray:
    """n x n image-centred sample points covering the frame (pixel centres of the outer rows/columns)."""
    w, h = size
    xs = np.linspace(-(w - 1) / 2, (w - 1) / 2, n)
    ys = np.linspace(-(h - 1) / 2, (h - 1) / 2, n)
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


def background_motion(cam: CameraPath, t0: float, t1: float, size: tuple[int, int]) -> np.ndarray:
    """Displacement (px) of background points on a 5x5 grid from time t0 to t1."""
    q = grid_points(size)
    qh = np.concatenate([q, np.ones((len(q), 1))], axis=1)
    w = qh @ cam.image_to_world(t0).T
    q1 = w @ cam.world_to_image(t1).T
    return np.linalg.norm(q1[:, :2] - q, axis=1)
