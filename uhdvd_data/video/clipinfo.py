"""What probing a clip tells us (ClipInfo) and what the reader yields (Frame)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

# Column order of manifests/footage.csv (ClipInfo.as_row()).
CSV_COLUMNS = [
    "path",
    "sha256",
    "width",
    "height",
    "fps",
    "fps_float",
    "frame_count",
    "duration_s",
    "codec",
    "pix_fmt",
    "bit_depth",
    "transfer",
    "rotation",
    "vfr",
    "has_audio",
    "make",
    "model",
]


@dataclass(frozen=True)
class ClipInfo:
    """Facts about one video clip. width/height are as displayed (after rotation)."""

    path: str
    sha256: str | None
    width: int
    height: int
    fps_num: int
    fps_den: int
    frame_count: int
    duration_s: float
    codec: str
    pix_fmt: str
    bit_depth: int
    transfer: str  # 'bt709', 'hlg', 'pq', 'srgb', 'bt601', 'bt2020', 'unknown', ...
    rotation: int  # clockwise display rotation in degrees: 0, 90, 180, 270
    vfr: bool
    has_audio: bool
    make: str | None = None
    model: str | None = None
    # Diagnostics (not CSV columns): source frame intervals in seconds (min, median, max).
    interval_stats: tuple[float, float, float] = field(default=(0.0, 0.0, 0.0), compare=False)

    @property
    def fps_fraction(self) -> Fraction:
        return Fraction(self.fps_num, self.fps_den)

    @property
    def fps(self) -> float:
        return self.fps_num / self.fps_den

    @property
    def fps_str(self) -> str:
        return f"{self.fps_num}/{self.fps_den}" if self.fps_den != 1 else str(self.fps_num)

    @property
    def is_hdr(self) -> bool:
        return self.transfer in ("hlg", "pq")

    @property
    def device_model(self) -> str | None:
        """'Make Model' (or whichever is known), for manifests."""
        parts = [p for p in (self.make, self.model) if p]
        if len(parts) == 2 and parts[1].lower().startswith(parts[0].lower()):
            parts = parts[1:]
        return " ".join(parts) or None

    def as_row(self) -> dict:
        return {
            "path": self.path,
            "sha256": self.sha256 or "",
            "width": self.width,
            "height": self.height,
            "fps": self.fps_str,
            "fps_float": round(self.fps, 6),
            "frame_count": self.frame_count,
            "duration_s": round(self.duration_s, 6),
            "codec": self.codec,
            "pix_fmt": self.pix_fmt,
            "bit_depth": self.bit_depth,
            "transfer": self.transfer,
            "rotation": self.rotation,
            "vfr": self.vfr,
            "has_audio": self.has_audio,
            "make": self.make or "",
            "model": self.model or "",
        }

    def replace(self, **kw) -> ClipInfo:
        return dataclasses.replace(self, **kw)


@dataclass
class Frame:
    """One decoded frame. rgb is HxWx3, uint8 for 8-bit sources, uint16 (full 0..65535 scale) for deeper ones,
    rotation already applied. time_s is relative to the first frame: the exact source timestamp, or the CFR grid
    time when a VFR clip is resampled (then src_time_s/src_index say which source frame was used)."""

    index: int
    time_s: float
    rgb: np.ndarray
    src_index: int = -1
    src_time_s: float = 0.0
