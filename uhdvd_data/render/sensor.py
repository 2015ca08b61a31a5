"""The sensor model every rendered scene is exposed through: frames are formed like a camera forms them.

The scene is drawn on a grid `supersample` times finer than the output along each axis, blurred by a Gaussian
optics PSF (`psf_sigma` output px) and integrated over each output pixel's area. Point sampling (supersample=1,
psf_sigma=0: POINT) is not shift-consistent: a texture at a half-pixel offset comes out low-passed by the
interpolation kernel, at a whole-pixel offset not, so even a warp with the exact motion misses the truth.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

# draw(fine_to_output, (W, H)): the scene's radiance on the W x H fine grid, given the 3x3 map from a fine-grid
# pixel to output pixel coordinates.
Draw = Callable[[np.ndarray, tuple[int, int]], np.ndarray]


@dataclass(frozen=True)
class Sensor:
    supersample: int = 4  # samples per output pixel along each axis (area integration); 1 = point sampling
    psf_sigma: float = 0.5  # Gaussian optics blur in output px; 0 = none

    @property
    def factor(self) -> int:
        return max(1, int(self.supersample))

    def fine_to_output(self) -> np.ndarray:
        """3x3: fine-grid pixel u -> output coordinate (u + 0.5) / ss - 0.5 (the identity for point sampling)."""
        ss = self.factor
        return np.array([[1.0 / ss, 0.0, 0.5 / ss - 0.5], [0.0, 1.0 / ss, 0.5 / ss - 0.5], [0.0, 0.0, 1.0]])

    def integrate(self, fine: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        """Optics blur and pixel-area integration of a fine-grid image down to the output size (H, W)."""
        ss = self.factor
        if self.psf_sigma > 0:
            fine = cv2.GaussianBlur(fine, (0, 0), self.psf_sigma * ss, borderType=cv2.BORDER_REFLECT101)
        if ss > 1:
            fine = cv2.resize(fine, size[::-1], interpolation=cv2.INTER_AREA)
        return fine

    def expose(self, draw: Draw, size: tuple[int, int]) -> np.ndarray:
        """The (H, W) = size frame of the scene `draw` paints (float; the caller clips and quantizes)."""
        ss = self.factor
        h, w = size
        return self.integrate(draw(self.fine_to_output(), (w * ss, h * ss)), size)

    def describe(self) -> dict:
        return {"supersample": self.factor, "psf_sigma_px": float(self.psf_sigma),
                "model": "supersample x supersample samples per pixel, Gaussian optics PSF, pixel-area integration"}


SENSOR = Sensor()  # the sensor of every rendered scene unless told otherwise
POINT = Sensor(1, 0.0)  # one sample at each pixel centre, no optics


def warp(image: np.ndarray, to_image: np.ndarray, wh: tuple[int, int], interpolation: int = cv2.INTER_CUBIC,
         border: int = cv2.BORDER_REFLECT101) -> np.ndarray:
    """Sample `image` on a W x H grid through the 3x3 map grid pixel -> image pixel (zero outside the image
    with border=BORDER_CONSTANT)."""
    return cv2.warpAffine(image, np.ascontiguousarray(to_image[:2]), wh, flags=interpolation | cv2.WARP_INVERSE_MAP,
                          borderMode=border, borderValue=0)
