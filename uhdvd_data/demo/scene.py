"""DemoScene: a photo seen through a moving camera plus an independently moving textured disc, rendered at any
time t with 2x supersampling (cv2.warpAffine at twice the size, then INTER_AREA downsampling)."""

from __future__ import annotations

import math

import cv2
import numpy as np

from .camera import CameraPath, ObjectPath, grid_points, make_camera, make_object
from .photos import foreground_photo, load_photo

SUPERSAMPLE = 2


class DemoScene:
    def __init__(self, photo: str, size: tuple[int, int], seed: int, fps: float = 30.0,
                 motion: tuple[float, float] = (10.0, 40.0), duration_s: float = 1.0):
        self.photo, self.size, self.seed, self.fps, self.motion = photo, (int(size[0]), int(size[1])), seed, fps, motion
        rng = np.random.default_rng(np.random.SeedSequence([int(seed), _name_key(photo)]))
        self.camera: CameraPath = make_camera(rng, fps, motion)
        self.object: ObjectPath = make_object(rng, fps, self.size)
        self.fg_photo = foreground_photo(photo)
        self.bg = load_photo(photo).astype(np.float32)
        fg = load_photo(self.fg_photo)
        side = int(min(fg.shape[:2]) * 0.6)
        y0, x0 = (fg.shape[0] - side) // 2, (fg.shape[1] - side) // 2
        self.fg = np.ascontiguousarray(fg[y0:y0 + side, x0:x0 + side]).astype(np.float32)
        yy, xx = np.mgrid[0:side, 0:side]
        r = (side - 1) / 2
        self.fg_mask = (((xx - r) ** 2 + (yy - r) ** 2) <= r * r).astype(np.float32)
        self._fit_photo(duration_s)

    def _fit_photo(self, duration_s: float) -> None:
        """Scale and place the photo so the camera's view stays on it for the whole clip (no mirrored borders
        in normal use; BORDER_REFLECT is only a fallback)."""
        pts = grid_points(self.size, 3)
        qh = np.concatenate([pts, np.ones((len(pts), 1))], axis=1)
        world = []
        for t in np.linspace(0.0, max(duration_s, 1e-3), 64):
            world.append(qh @ self.camera.image_to_world(float(t)).T)
        world = np.concatenate(world)[:, :2]
        lo, hi = world.min(axis=0), world.max(axis=0)
        extent = (hi - lo) * 1.04 + 4.0
        ph, pw = self.bg.shape[:2]
        # output px per photo px; at least 0.5 so the 2x canvas never samples the photo below 1:1
        self.photo_scale = float(max(extent[0] / (pw - 1), extent[1] / (ph - 1), 0.5))
        self.world_centre = (lo + hi) / 2

    def _canvas_to_image(self) -> np.ndarray:
        """3x3: supersampled canvas pixel (u, v) -> image-centred output coordinates."""
        w, h = self.size
        s = 1.0 / SUPERSAMPLE
        off = 0.5 * s - 0.5
        return np.array([[s, 0, off - (w - 1) / 2], [0, s, off - (h - 1) / 2], [0, 0, 1.0]])

    def background_matrix(self, t: float) -> np.ndarray:
        """2x3: canvas pixel -> photo pixel at time t."""
        ph, pw = self.bg.shape[:2]
        k = 1.0 / self.photo_scale
        world_to_photo = np.array([[k, 0, (pw - 1) / 2 - k * self.world_centre[0]],
                                   [0, k, (ph - 1) / 2 - k * self.world_centre[1]], [0, 0, 1.0]])
        return (world_to_photo @ self.camera.image_to_world(t) @ self._canvas_to_image())[:2]

    def object_matrix(self, t: float) -> np.ndarray:
        """2x3: canvas pixel -> foreground patch pixel at time t."""
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
        return (img_to_patch @ self._canvas_to_image())[:2]

    def render_frame(self, t: float, with_object: bool = True) -> np.ndarray:
        """HxWx3 uint8 frame at time t (seconds); with_object=False renders the background alone."""
        w, h = self.size
        cw, ch = w * SUPERSAMPLE, h * SUPERSAMPLE
        flags = cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP
        canvas = cv2.warpAffine(self.bg, self.background_matrix(t), (cw, ch), flags=flags,
                                borderMode=cv2.BORDER_REFLECT)
        # The object only touches its bounding box: warp and composite there.
        cx, cy = self.object.centre(t)
        r = self.object.radius
        ucx, ucy = (cx + (w - 1) / 2 + 0.25) * SUPERSAMPLE, (cy + (h - 1) / 2 + 0.25) * SUPERSAMPLE
        rr = r * SUPERSAMPLE + 3
        u0, u1 = max(int(math.floor(ucx - rr)), 0), min(int(math.ceil(ucx + rr)) + 1, cw)
        v0, v1 = max(int(math.floor(ucy - rr)), 0), min(int(math.ceil(ucy + rr)) + 1, ch)
        if with_object and u1 > u0 and v1 > v0:
            m = np.vstack([self.object_matrix(t), [0, 0, 1.0]]) @ np.array([[1, 0, u0], [0, 1, v0], [0, 0, 1.0]])
            roi = (u1 - u0, v1 - v0)
            fg = cv2.warpAffine(self.fg, m[:2], roi, flags=flags, borderMode=cv2.BORDER_REFLECT)
            alpha = cv2.warpAffine(self.fg_mask, m[:2], roi, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                   borderMode=cv2.BORDER_CONSTANT, borderValue=0)[..., None]
            bg = canvas[v0:v1, u0:u1]
            canvas[v0:v1, u0:u1] = bg + alpha * (fg - bg)
        small = cv2.resize(canvas, (w, h), interpolation=cv2.INTER_AREA)
        return np.clip(np.rint(small), 0, 255).astype(np.uint8)

    def describe(self) -> dict:
        return {
            "photo": self.photo,
            "foreground_photo": self.fg_photo,
            "size": list(self.size),
            "seed": self.seed,
            "fps": self.fps,
            "motion_range_px_per_frame": list(self.motion),
            "supersample": SUPERSAMPLE,
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
