"""Scene: exact frames at any time t of a photo under a moving camera with an independently moving occluder.

The truth of the interpolation network's training tuples and of the held-out fidelity benchmark. A virtual camera
pans (plus a little rotation and zoom) over a photo while an occluding object (an elliptical cut-out of another
photo) moves in front of it; optionally the occluder also bends (`occ_wave`: a travelling sine shear, the simplest
non-rigid mover with exact truth, for training on motion no homography explains). `Scene.render(t)` gives the exact
frame at time t (t in units of source-frame intervals), exposed through the sensor model (sensor.py: 4x4 area integration, 0.5 px optics PSF), so interpolated
frames can be scored against the truth.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from .photos import TRAIN_PHOTOS, load_photo
from .sensor import POINT, SENSOR, Sensor, warp


@dataclass
class Scene:
    photo: np.ndarray
    occluder: np.ndarray | None  # RGBA float32 patch
    size: tuple[int, int]  # (H, W) of the rendered frames
    center: tuple[float, float]  # photo coords of the frame centre at t=0
    vel: tuple[float, float]  # camera motion in output px per source interval (x, y)
    rot0: float
    rot_vel: float  # radians per interval
    scale0: float  # photo px per output px
    zoom_vel: float  # relative scale change per interval
    occ_pos: tuple[float, float] = (0.0, 0.0)  # occluder top-left in output px at t=0
    occ_vel: tuple[float, float] = (0.0, 0.0)
    occ_wave: tuple[float, float, float] = (0.0, 1.0, 0.0)  # (amplitude px, wavelength px, rad per interval): the
    # occluder's row y (patch coords) is shifted along x by amplitude * sin(2 pi y / wavelength + speed * t)
    supersample: int = SENSOR.supersample  # the sensor's samples per output pixel along each axis; 1 = point sampling
    psf_sigma: float = SENSOR.psf_sigma  # the sensor's Gaussian optics blur in output px; 0 = none

    @property
    def sensor(self) -> Sensor:
        return Sensor(self.supersample, self.psf_sigma)

    def camera_matrix(self, t: float) -> np.ndarray:
        """3x3: output pixel at time t -> photo pixel (q = c + S R (p - o))."""
        h, w = self.size
        s = self.scale0 * (1.0 + self.zoom_vel * t)
        a = self.rot0 + self.rot_vel * t
        cx = self.center[0] + self.vel[0] * t * self.scale0
        cy = self.center[1] + self.vel[1] * t * self.scale0
        ca, sa = math.cos(a) * s, math.sin(a) * s
        ox, oy = (w - 1) / 2.0, (h - 1) / 2.0
        return np.array([[ca, -sa, cx - ca * ox + sa * oy], [sa, ca, cy - sa * ox - ca * oy], [0.0, 0.0, 1.0]])

    def occluder_matrix(self, t: float) -> np.ndarray:
        """3x3: output pixel at time t -> occluder patch pixel."""
        px = self.occ_pos[0] + self.occ_vel[0] * t
        py = self.occ_pos[1] + self.occ_vel[1] * t
        return np.array([[1.0, 0.0, -px], [0.0, 1.0, -py], [0.0, 0.0, 1.0]])

    def _occ_layer(self, layer: np.ndarray, t: float, grid: np.ndarray, wh: tuple[int, int], interpolation: int) -> np.ndarray:
        """`layer` (occluder patch, RGBA or alpha) drawn on a W x H grid (grid: 3x3 grid pixel -> output pixel) at
        time t, bent by occ_wave when it has an amplitude (zero outside the patch)."""
        m = self.occluder_matrix(t) @ grid
        amp, wavelength, speed = self.occ_wave
        if not amp:
            return warp(layer, m, wh, interpolation, cv2.BORDER_CONSTANT)
        w, h = wh
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        px = m[0, 0] * xx + m[0, 1] * yy + m[0, 2]
        py = m[1, 0] * xx + m[1, 1] * yy + m[1, 2]
        px = px - amp * np.sin(2 * np.pi * py / wavelength + speed * t)
        return cv2.remap(layer, px.astype(np.float32), py.astype(np.float32), interpolation, borderMode=cv2.BORDER_CONSTANT,
                         borderValue=0)

    def occluder_alpha(self, t: float, sensor: bool = False) -> np.ndarray:
        """HxW float32 coverage of the occluder at time t (zeros without one): point-sampled, or with sensor=True
        formed like the frames (its weight in the rendered pixel)."""
        if self.occluder is None:
            return np.zeros(self.size, np.float32)
        alpha = np.ascontiguousarray(self.occluder[..., 3])
        return (self.sensor if sensor else POINT).expose(
            lambda grid, wh: self._occ_layer(alpha, t, grid, wh, cv2.INTER_LINEAR), self.size)

    def exact_flow(self, ta: float, tb: float, occluder: bool = True) -> np.ndarray:
        """HxWx2 float32: where each pixel seen at time ta is at time tb, minus its position (x, y order).

        A pixel on the occluder at ta (coverage > 0.5) follows the occluder, unless occluder=False (the camera's
        motion everywhere); every other pixel follows the camera."""
        h, w = self.size
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
        pts = np.stack([xx, yy, np.ones_like(xx)], -1)
        cam = pts @ (np.linalg.inv(self.camera_matrix(tb)) @ self.camera_matrix(ta)).T
        flow = np.stack([cam[..., 0] - xx, cam[..., 1] - yy], -1)
        if occluder and self.occluder is not None:
            on = self.occluder_alpha(ta) > 0.5
            amp, wavelength, speed = self.occ_wave
            # patch coordinates of the pixel at ta, then where that patch point is drawn at tb
            v = yy[on] - (self.occ_pos[1] + self.occ_vel[1] * ta)
            u = xx[on] - (self.occ_pos[0] + self.occ_vel[0] * ta) - amp * np.sin(2 * np.pi * v / wavelength + speed * ta)
            xb = u + self.occ_pos[0] + self.occ_vel[0] * tb + amp * np.sin(2 * np.pi * v / wavelength + speed * tb)
            yb = v + self.occ_pos[1] + self.occ_vel[1] * tb
            flow[on] = np.stack([xb - xx[on], yb - yy[on]], -1)
        return flow.astype(np.float32)

    def render(self, t: float) -> np.ndarray:
        """HxWx3 float32 frame in [0, 1] at time t."""
        cam = self.camera_matrix(t)

        def draw(grid: np.ndarray, wh: tuple[int, int]) -> np.ndarray:
            frame = warp(self.photo, cam @ grid, wh)
            if self.occluder is not None:
                layer = self._occ_layer(self.occluder, t, grid, wh, cv2.INTER_LINEAR)
                alpha = layer[..., 3:4]
                frame = frame * (1 - alpha) + layer[..., :3] * alpha
            return frame

        return np.clip(self.sensor.expose(draw, self.size), 0.0, 1.0).astype(np.float32)


def make_occluder(photo: np.ndarray, rng: np.random.Generator, ow: int, oh: int) -> np.ndarray:
    """An ow x oh RGBA float32 patch: an ellipse cut from a random place of the photo, with a ~1 px soft edge."""
    ph, pw = photo.shape[:2]
    ow, oh = min(ow, pw - 2), min(oh, ph - 2)
    x0 = int(rng.integers(0, pw - ow))
    y0 = int(rng.integers(0, ph - oh))
    rgb = photo[y0 : y0 + oh, x0 : x0 + ow]
    yy, xx = np.mgrid[0:oh, 0:ow].astype(np.float32)
    r = ((xx - (ow - 1) / 2) / (ow / 2)) ** 2 + ((yy - (oh - 1) / 2) / (oh / 2)) ** 2
    alpha = np.clip((1.0 - r) * 8.0, 0.0, 1.0)[..., None]
    return np.concatenate([rgb, alpha], -1).astype(np.float32)


def random_scene(rng: np.random.Generator, size: tuple[int, int], photos: Sequence[str] = TRAIN_PHOTOS,
                 motion: tuple[float, float] = (0.0, 48.0), occluder_prob: float = 0.7, rotation: float = 0.02,
                 zoom: float = 0.03, wave_prob: float = 0.0) -> Scene:
    """A scene whose camera moves |v| ~ U(motion) output px per source interval in a random direction; with
    probability wave_prob its occluder also bends (amplitude 2-10 px, wavelength 0.6-1.5 patch heights, 0.4-1.2 rad
    per interval either way). wave_prob 0 draws the same scenes as before it existed (no extra random numbers)."""
    h, w = size
    names = list(photos)
    photo = load_photo(names[int(rng.integers(len(names)))])
    ph, pw = photo.shape[:2]
    smax = min(pw / (w + 2 * motion[1] + 8), ph / (h + 2 * motion[1] + 8))
    scale = float(rng.uniform(min(0.5, smax), max(min(1.5, smax), min(0.5, smax))))
    speed = float(rng.uniform(*motion))
    ang = float(rng.uniform(0, 2 * math.pi))
    vel = (speed * math.cos(ang), speed * math.sin(ang))
    # keep the view (at t in [-1, 2]) mostly inside the photo; reflection covers the rest
    cx = float(rng.uniform(0.3, 0.7) * pw)
    cy = float(rng.uniform(0.3, 0.7) * ph)
    occ = None
    occ_pos = occ_vel = (0.0, 0.0)
    if rng.random() < occluder_prob:
        other = load_photo(names[int(rng.integers(len(names)))])
        ow = int(rng.uniform(0.2, 0.45) * w)
        oh = int(rng.uniform(0.2, 0.45) * h)
        occ = make_occluder(other, rng, max(ow, 8), max(oh, 8))
        occ_pos = (float(rng.uniform(0, w - ow)), float(rng.uniform(0, h - oh)))
        ospeed = float(rng.uniform(*motion))
        oang = float(rng.uniform(0, 2 * math.pi))
        occ_vel = (ospeed * math.cos(oang), ospeed * math.sin(oang))
    sc = Scene(photo, occ, (h, w), (cx, cy), vel, float(rng.uniform(-0.2, 0.2)),
               float(rng.uniform(-rotation, rotation)), scale, float(rng.uniform(-zoom, zoom)), occ_pos, occ_vel)
    if occ is not None and wave_prob > 0 and rng.random() < wave_prob:
        sc.occ_wave = (float(rng.uniform(2.0, 10.0)), float(rng.uniform(0.6, 1.5) * occ.shape[0]),
                       float(rng.uniform(0.4, 1.2) * rng.choice([-1.0, 1.0])))
    return sc
