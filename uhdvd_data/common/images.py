"""Image files <-> numpy RGB arrays (uint8 or uint16), with atomic writes."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from .atomic import write_bytes
from .errors import file_error

PNG_LEVEL = 1  # fast, lossless, deterministic


def encode_image(rgb: np.ndarray, ext: str = ".png", quality: int = 95) -> bytes:
    """Encode an HxWx3 RGB (uint8/uint16) or HxW array to PNG/JPEG bytes."""
    if rgb.ndim == 3:
        bgr = np.ascontiguousarray(rgb[..., ::-1])
    else:
        bgr = rgb
    ext = ext.lower()
    if ext == ".png":
        params = [cv2.IMWRITE_PNG_COMPRESSION, PNG_LEVEL]
    elif ext in (".jpg", ".jpeg"):
        if bgr.dtype != np.uint8:
            raise ValueError("JPEG output needs 8-bit frames")
        params = [cv2.IMWRITE_JPEG_QUALITY, int(quality)]
    else:
        raise ValueError(f"unsupported image format {ext}")
    ok, buf = cv2.imencode(ext, bgr, params)
    if not ok:
        raise ValueError(f"could not encode image as {ext}")
    return buf.tobytes()


def write_image(path: os.PathLike | str, rgb: np.ndarray, quality: int = 95) -> None:
    """Atomically write an RGB array; the format comes from the suffix (.png keeps 16-bit)."""
    write_bytes(path, encode_image(rgb, Path(path).suffix, quality))


def read_image(path: os.PathLike | str) -> np.ndarray:
    """Read PNG/JPEG as HxWx3 RGB, keeping 16-bit PNGs as uint16."""
    return np.ascontiguousarray(_decode(path)[..., ::-1])


def read_image_bgr(path: os.PathLike | str) -> np.ndarray:
    """Like read_image, in the decoder's native BGR order (no colour-order copy; for per-channel maths)."""
    img = _decode(path)
    return img if img.flags.c_contiguous else np.ascontiguousarray(img)


def _decode(path: os.PathLike | str) -> np.ndarray:
    """HxWx3 BGR (possibly a non-contiguous view of a BGRA decode)."""
    path = Path(path)
    if not path.is_file():
        raise file_error(path, "no such image file")
    data = np.fromfile(str(path), dtype=np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if img is None:
        raise file_error(path, "not a readable image (truncated or unknown format)")
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    elif img.shape[2] == 4:
        img = img[..., :3]
    return img


def max_value(dtype: np.dtype) -> int:
    """Largest code value of an integer image dtype (255 or 65535)."""
    return int(np.iinfo(dtype).max)
