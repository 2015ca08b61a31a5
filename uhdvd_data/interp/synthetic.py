"""Synthetic-truth motion from still photos: exact frames at any time t (training tuples and held-out benchmarks).

A virtual camera pans (plus a little rotation and zoom) over a photo while an occluding object (an elliptical cut-out
of another photo) moves independently in front of it. `Scene.render(t)` gives the exact frame at time t (t in units
of source-frame intervals), so interpolated frames can be scored against the truth.

Frames are rendered like a camera forms them, not by point-sampling the photo: the scene is sampled on a grid
`supersample` times finer than the output, blurred by a Gaussian optics PSF (`psf_sigma` output px) and integrated
over each output pixel's area. Point-sampling (supersample=1, psf_sigma=0, the renderer before 2026-11-25) makes
frames that are not shift-consistent: a texture at a half-pixel offset comes out low-passed by the bilinear/bicubic
kernel, at a whole-pixel offset not, so even warping with the exact motion misses the truth (35-45 dB inside the
moving occluder of the held-out scenes, against 46-52 dB with the default sensor model; docs/bench_interp.md).

Photos come from scikit-image's bundled sample data. HELDOUT_PHOTOS are the demo module's held-out photos
(uhdvd_data.demo.photos.HELDOUT_PHOTOS, reserved for benchmarks); TRAIN_PHOTOS never contain them. The default
checkpoint is trained on TRAIN_PHOTOS only and the fidelity benchmark renders HELDOUT_PHOTOS only.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import cv2
import numpy as np

try:
    from ..demo.photos import HELDOUT_PHOTOS as _DEMO_HELDOUT
except ImportError:  # pragma: no cover - demo module missing
    _DEMO_HELDOUT = ["motorcycle", "immunohistochemistry", "gravel"]

HELDOUT_PHOTOS = tuple(_DEMO_HELDOUT)
TRAIN_PHOTOS = tuple(p for p in ("astronaut", "coffee", "rocket", "chelsea", "hubble_deep_field", "retina",
                                 "colorwheel", "camera", "brick", "grass", "coins", "cell", "moon")
                     if p not in HELDOUT_PHOTOS)


@functools.lru_cache(maxsize=32)
def load_photo(name: str) -> np.ndarray:
    """RGB float32 [0,1] sample photo (grayscale ones are tinted slightly so colour channels differ)."""
    import skimage.data

    img = skimage.data.stereo_motorcycle()[0] if name == "motorcycle" else getattr(skimage.data, name)()
    if img.ndim == 2:
        img = np.stack([img * 0.95, img, img * 0.9 + 10], -1).clip(0, 255)
    img = img[..., :3].astype(np.float32) / 255.0
    return np.ascontiguousarray(img)


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
    supersample: int = 4  # samples per output pixel along each axis (area integration); 1 = point sampling
    psf_sigma: float = 0.5  # Gaussian optics blur in output px; 0 = none

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

    def occluder_alpha(self, t: float, sensor: bool = False) -> np.ndarray:
        """HxW float32 coverage of the occluder at time t (zeros without one): point-sampled, or with sensor=True
        formed like the frames (its weight in the rendered pixel)."""
        h, w = self.size
        if self.occluder is None:
            return np.zeros((h, w), np.float32)
        ss, fine = self._fine_grid() if sensor else (1, np.eye(3))
        a = cv2.warpAffine(np.ascontiguousarray(self.occluder[..., 3]), (self.occluder_matrix(t) @ fine)[:2],
                           (w * ss, h * ss), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                           borderMode=cv2.BORDER_CONSTANT)
        return self._integrate(a) if sensor else a

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
            flow[self.occluder_alpha(ta) > 0.5] = (self.occ_vel[0] * (tb - ta), self.occ_vel[1] * (tb - ta))
        return flow.astype(np.float32)

    def _fine_grid(self) -> tuple[int, np.ndarray]:
        """Supersampling factor, and the 3x3 map fine-grid pixel u -> output coordinate (u + 0.5) / ss - 0.5."""
        ss = max(1, int(self.supersample))
        return ss, np.array([[1.0 / ss, 0.0, 0.5 / ss - 0.5], [0.0, 1.0 / ss, 0.5 / ss - 0.5], [0.0, 0.0, 1.0]])

    def _integrate(self, fine: np.ndarray) -> np.ndarray:
        """Optics blur and pixel-area integration of a fine-grid image down to the output grid."""
        ss, _ = self._fine_grid()
        if self.psf_sigma > 0:
            fine = cv2.GaussianBlur(fine, (0, 0), self.psf_sigma * ss, borderType=cv2.BORDER_REFLECT101)
        if ss > 1:
            fine = cv2.resize(fine, self.size[::-1], interpolation=cv2.INTER_AREA)
        return fine

    def render(self, t: float) -> np.ndarray:
        h, w = self.size
        ss, fine = self._fine_grid()
        frame = cv2.warpAffine(self.photo, (self.camera_matrix(t) @ fine)[:2], (w * ss, h * ss),
                               flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT101)
        if self.occluder is not None:
            occ = cv2.warpAffine(self.occluder, (self.occluder_matrix(t) @ fine)[:2], (w * ss, h * ss),
                                 flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0, 0))
            alpha = occ[..., 3:4]
            frame = frame * (1 - alpha) + occ[..., :3] * alpha
        return np.clip(self._integrate(frame), 0.0, 1.0).astype(np.float32)


def make_occluder(photo: np.ndarray, rng: np.random.Generator, ow: int, oh: int) -> np.ndarray:
    ph, pw = photo.shape[:2]
    ow, oh = min(ow, pw - 2), min(oh, ph - 2)
    x0 = int(rng.integers(0, pw - ow))
    y0 = int(rng.integers(0, ph - oh))
    rgb = photo[y0 : y0 + oh, x0 : x0 + ow]
    yy, xx = np.mgrid[0:oh, 0:ow].astype(np.float32)
    r = ((xx - (ow - 1) / 2) / (ow / 2)) ** 2 + ((yy - (oh - 1) / 2) / (oh / 2)) ** 2
    alpha = np.clip((1.0 - r) * 8.0, 0.0, 1.0)[..., None]  # ellipse with a ~1 px soft edge
    return np.concatenate([rgb, alpha], -1).astype(np.float32)


def random_scene(rng: np.random.Generator, size: tuple[int, int], photos=TRAIN_PHOTOS, motion=(0.0, 48.0),
                 occluder_prob: float = 0.7, rotation: float = 0.02, zoom: float = 0.03) -> Scene:
    """A scene whose camera moves |v| ~ U(motion) output px per source interval in a random direction."""
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
    return Scene(photo, occ, (h, w), (cx, cy), vel, float(rng.uniform(-0.2, 0.2)),
                 float(rng.uniform(-rotation, rotation)), scale, float(rng.uniform(-zoom, zoom)), occ_pos, occ_vel)


def benchmark_scenes(n: int = 4, size: tuple[int, int] = (360, 640), seed: int = 1234) -> list[Scene]:
    """Held-out scenes for the fidelity benchmark: 20-40 px/frame camera motion and an occluding object."""
    rng = np.random.default_rng(seed)
    return [random_scene(rng, size, photos=HELDOUT_PHOTOS, motion=(20.0, 40.0), occluder_prob=1.0) for _ in range(n)]
