"""DemoScene: a photo seen through a hand-held-like camera plus an independently moving textured disc, rendered at
any time t (seconds) through the sensor model (sensor.py). The camera and object paths are closed-form (camera.py),
so frames at any rate are exact."""

from __future__ import annotations

import math

import cv2
import numpy as np

from .camera import CameraPath, ObjectPath, grid_points, make_camera, make_object
from .photos import foreground_photo, load_photo
from .sensor import SENSOR, Sensor, warp


class DemoScene:
    def __init__(self, photo: str, size: tuple[int, int], seed: int, fps: float = 30.0,
                 motion: tuple[float, float] = (10.0, 40.0), duration_s: float = 1.0, sensor: Sensor = SENSOR):
        self.photo, self.size, self.seed, self.fps, self.motion = photo, (int(size[0]), int(size[1])), seed, fps, motion
        self.sensor = sensor
        rng = np.random.default_rng(np.random.SeedSequence([int(seed), _name_key(photo)]))
        self.camera: CameraPath = make_camera(rng, fps, motion)
        self.object: ObjectPath = make_object(rng, fps, self.size)
        self.fg_photo = foreground_photo(photo)
        self.bg = load_photo(photo)
        fg = load_photo(self.fg_photo)
        side = int(min(fg.shape[:2]) * 0.6)
        y0, x0 = (fg.shape[0] - side) // 2, (fg.shape[1] - side) // 2
        self.fg = np.ascontiguousarray(fg[y0:y0 + side, x0:x0 + side])
        yy, xx = np.mgrid[0:side, 0:side]
        r = (side - 1) / 2
        self.fg_mask = (((xx - r) ** 2 + (yy - r) ** 2) <= r * r).astype(np.float32)
        self._fit_photo(duration_s)

    def _fit_photo(self, duration_s: float) -> None:
        """Scale and place the photo so the camera's view stays on it for the whole clip (no mirrored borders
        in normal use; the mirrored border is only a fallback)."""
        pts = grid_points(self.size, 3)
        qh = np.concatenate([pts, np.ones((len(pts), 1))], axis=1)
        world = []
        for t in np.linspace(0.0, max(duration_s, 1e-3), 64):
            world.append(qh @ self.camera.image_to_world(float(t)).T)
        world = np.concatenate(world)[:, :2]
        lo, hi = world.min(axis=0), world.max(axis=0)
        extent = (hi - lo) * 1.04 + 4.0
        ph, pw = self.bg.shape[:2]
        # output px per photo px; at least 0.5 so an output pixel never covers more than 2x2 photo pixels
        self.photo_scale = float(max(extent[0] / (pw - 1), extent[1] / (ph - 1), 0.5))
        self.world_centre = (lo + hi) / 2

    def _output_to_image(self) -> np.ndarray:
        """3x3: output pixel -> image-centred output coordinates."""
        w, h = self.size
        return np.array([[1.0, 0, -(w - 1) / 2], [0, 1.0, -(h - 1) / 2], [0, 0, 1.0]])

    def background_matrix(self, t: float) -> np.ndarray:
        """3x3: output pixel -> photo pixel at time t."""
        ph, pw = self.bg.shape[:2]
        k = 1.0 / self.photo_scale
        world_to_photo = np.array([[k, 0, (pw - 1) / 2 - k * self.world_centre[0]],
                                   [0, k, (ph - 1) / 2 - k * self.world_centre[1]], [0, 0, 1.0]])
        return world_to_photo @ self.camera.image_to_world(t) @ self._output_to_image()

    def object_matrix(self, t: float) -> np.ndarray:
        """3x3: output pixel -> foreground patch pixel at time t."""
        ob = self.object
        side = self.fg.shape[0]
        k = (side - 1) / (2 * ob.radius)  # patch px per output px
        a = ob.spin.at(t)
        ca, sa = math.cos(a), math.sin(a)
        cx, cy = ob.centre(t)
        # image-centred point -> patch coordinates: rotate about the object centre, scale, shift to patch centre
        img_to_patch = np.array([[k * ca, k * sa, 0], [-k * sa, k * ca, 0], [0, 0, 1.0]]) @ np.array(
            [[1, 0, -cx], [0, 1, -cy], [0, 0, 1.0]])
        img_to_patch[:2, 2] += (side - 1) / 2
        return img_to_patch @ self._output_to_image()

    def _draw(self, t: float, with_object: bool, grid: np.ndarray, wh: tuple[int, int]) -> np.ndarray:
        """The scene at time t on the sensor's fine grid (grid: fine pixel -> output pixel, wh its size)."""
        canvas = warp(self.bg, self.background_matrix(t) @ grid, wh)
        if not with_object:
            return canvas
        # The object only touches its bounding box: warp and composite there.
        cx, cy = self.object.centre(t)
        ucx, ucy, _ = np.linalg.inv(self._output_to_image() @ grid) @ (cx, cy, 1.0)
        rr = self.object.radius / grid[0, 0] + 3
        cw, ch = wh
        u0, u1 = max(int(math.floor(ucx - rr)), 0), min(int(math.ceil(ucx + rr)) + 1, cw)
        v0, v1 = max(int(math.floor(ucy - rr)), 0), min(int(math.ceil(ucy + rr)) + 1, ch)
        if u1 > u0 and v1 > v0:
            m = self.object_matrix(t) @ grid @ np.array([[1, 0, u0], [0, 1, v0], [0, 0, 1.0]])
            roi = (u1 - u0, v1 - v0)
            fg = warp(self.fg, m, roi)
            alpha = warp(self.fg_mask, m, roi, cv2.INTER_LINEAR, cv2.BORDER_CONSTANT)[..., None]
            bg = canvas[v0:v1, u0:u1]
            canvas[v0:v1, u0:u1] = bg + alpha * (fg - bg)
        return canvas

    def render_frame(self, t: float, with_object: bool = True) -> np.ndarray:
        """HxWx3 uint8 frame at time t (seconds); with_object=False renders the background alone."""
        w, h = self.size
        frame = self.sensor.expose(lambda grid, wh: self._draw(t, with_object, grid, wh), (h, w))
        return np.clip(np.rint(frame * 255.0), 0, 255).astype(np.uint8)

    def describe(self) -> dict:
        return {
            "photo": self.photo,
            "foreground_photo": self.fg_photo,
            "size": list(self.size),
            "seed": self.seed,
            "fps": self.fps,
            "motion_range_px_per_frame": list(self.motion),
            "sensor": self.sensor.describe(),
            "photo_scale_out_px_per_photo_px": self.photo_scale,
            "photo_world_centre": [float(x) for x in self.world_centre],
            "camera": self.camera.to_dict(),
            "object": self.object.to_dict(),
            "model": "world = c(t) + R(theta(t)) q / zoom(t); q image-centred px; c = sum of circles "
            "a*(cos(omega t + phase), sign*sin(omega t + phase)); theta, zoom = mean + amp*sin(omega t + phase); "
            "t in seconds",
        }


def _name_key(name: str) -> int:
    return int.from_bytes(name.encode()[:8].ljust(8, b"\0"), "little")
