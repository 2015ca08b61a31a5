"""Optional realism on the blurry frame, all seeded per pair (results do not depend on job order).

- saturation: see blur.apply_saturation (applied to every frame before averaging, and to the sharp frame);
- Poisson-Gaussian noise in linear light: y = a * Poisson(x / a) + N(0, b^2), clipped to [0, 1];
- JPEG re-compression of the blurry frame at a given quality (8-bit only).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from ..common.errors import UserError


@dataclass(frozen=True)
class NoiseParams:
    a: float  # shot-noise gain (variance per unit signal)
    b: float  # read-noise standard deviation (linear units)

    def __str__(self) -> str:
        return f"poisson-gaussian:a={self.a:g},b={self.b:g}"


def parse_noise(text: str | None) -> NoiseParams | None:
    """'none' | 'A,B' | 'poisson-gaussian:A,B' | 'poisson-gaussian:a=A,b=B'."""
    if text is None or text.strip().lower() in ("", "none", "off", "0"):
        return None
    body = text.strip()
    if ":" in body:
        kind, body = body.split(":", 1)
        if kind.strip().lower() != "poisson-gaussian":
            raise UserError(f"--noise: unknown noise model {kind!r} (only poisson-gaussian)")
    parts = [p.strip().split("=")[-1] for p in body.split(",")]
    try:
        a, b = (float(p) for p in parts)
    except ValueError as e:
        raise UserError(f"--noise: expected 'poisson-gaussian:A,B' (shot gain, read sigma), got {text!r}") from e
    if not (a >= 0 and b >= 0) or not np.isfinite(a + b):
        raise UserError(f"--noise: parameters must be finite and >= 0 (got {text!r})")
    return NoiseParams(a, b)


def pair_rng(seed: int, clip_id: str, pair_idx: int) -> np.random.Generator:
    """Independent stream per (seed, clip, pair): the same numbers whatever the job order or sharding."""
    return np.random.default_rng([int(seed), zlib.crc32(clip_id.encode()), int(pair_idx)])


def add_noise(linear: np.ndarray, noise: NoiseParams | None, rng: np.random.Generator) -> np.ndarray:
    if noise is None:
        return linear
    x = np.clip(linear, 0.0, 1.0)
    if noise.a > 0:
        x = rng.poisson(x / noise.a).astype(np.float64) * noise.a
    if noise.b > 0:
        x = x + rng.normal(0.0, noise.b, size=x.shape)
    return np.clip(x, 0.0, 1.0)


def jpeg_roundtrip(rgb: np.ndarray, quality: int | None) -> np.ndarray:
    if quality is None:
        return rgb
    if rgb.dtype != np.uint8:
        raise UserError("--jpeg-quality needs 8-bit frames (this clip is 16-bit)")
    import cv2

    from ..common.images import encode_image

    data = encode_image(rgb, ".jpg", quality)
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return np.ascontiguousarray(bgr[..., ::-1])
