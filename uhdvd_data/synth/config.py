"""SynthConfig: every setting of `synthesize` / `build` that shapes the pairs, checked up front by prepare()."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..common.errors import UserError
from .crf import CRF_AUTO, Transfer, auto_crf, get_transfer
from .realism import parse_noise
from .windows import check_window


@dataclass
class SynthConfig:
    window: int = 13  # frames averaged; with window_min, the largest of the range (windows are laid out at it)
    window_min: int | None = None  # --window A:B: each pair's window is drawn from the odd sizes A..B (seeded)
    blur_px: tuple | None = None  # --blur-px LO:HI: only sizes whose blur_px_p50 is within [LO, HI]; none: skipped
    center: str = "auto"  # captured | any | auto: captured; synthesize uses any when no captured-centred window fits
    stride: int | None = None
    crf: str = CRF_AUTO  # auto: per clip, from its recorded transfer (hlg, pq; else srgb); see crf.auto_crf
    crf_lut: str | None = None
    saturation: float | None = None
    noise: str | None = None
    jpeg_quality: int | None = None
    image_format: str = "png"
    quality: int = 95
    seed: int = 0
    split_ratio: float = 0.9
    val_ratio: float = 0.0
    splits_file: str | None = None
    measure_quality: bool = True  # per-pair quality columns (synth.quality); False (--no-quality): left empty
    min_check_psnr: float | None = None  # drop pairs whose self-check PSNR is lower (empty checks are kept)
    min_sharpness: float | None = None  # drop pairs whose target_sharpness (relative to the clip) is lower
    weights: str | None = None  # network weights for the self-check when the packaged/env ones do not match
    # filled by prepare()
    crf_name: str = ""
    crf_lut_sha256: str | None = None
    noise_canonical: str = ""

    def prepare(self) -> None:
        """Validate every option up front (before anything is written). The curve is settled per clip by for_clip."""
        check_window(self.window)
        if self.window_min is not None:
            check_window(self.window_min)
            if self.window_min > self.window:
                raise UserError(f"--window {self.window_min}:{self.window}: the range's start is larger than its end")
        if self.center not in ("captured", "any", "auto"):
            raise UserError(f"--center must be 'captured', 'any' or 'auto' (got {self.center!r})")
        if self.stride is not None and self.stride < 1:
            raise UserError(f"--stride must be >= 1 (got {self.stride})")
        if self.image_format not in ("png", "jpg"):
            raise UserError(f"--image-format must be png or jpg (got {self.image_format!r})")
        if not 1 <= self.quality <= 100:
            raise UserError(f"--quality must be within 1..100 (got {self.quality})")
        if self.jpeg_quality is not None and not 1 <= self.jpeg_quality <= 100:
            raise UserError(f"--jpeg-quality must be within 1..100 (got {self.jpeg_quality})")
        if self.saturation is not None and not 0 < self.saturation <= 1:
            raise UserError(f"--saturation must be within (0, 1] (linear level that maps to white; got {self.saturation})")
        if not self.measure_quality and (self.min_check_psnr is not None or self.min_sharpness is not None):
            raise UserError("--min-check-psnr / --min-sharpness filter on the quality columns: drop --no-quality")
        if self.crf != CRF_AUTO or self.crf_lut:
            tf = get_transfer(self.crf, self.crf_lut)  # a bad name or table fails here, before any clip
            self.crf_name, self.crf_lut_sha256 = tf.name, tf.lut_sha256
        else:
            self.crf_name = CRF_AUTO
        noise = parse_noise(self.noise)
        self.noise_canonical = "" if noise is None else str(noise)

    def for_clip(self, transfer: str | None) -> tuple[SynthConfig, Transfer]:
        """This config with the curve of one clip settled (`--crf auto`: from its recorded `transfer`), and the
        curve; crf_name (the manifest's crf column and part of the clip's fingerprint) records it."""
        tf = get_transfer(auto_crf(transfer) if self.crf == CRF_AUTO else self.crf, self.crf_lut)  # a table wins
        return dataclasses.replace(self, crf_name=tf.name, crf_lut_sha256=tf.lut_sha256), tf

    def pixel_settings(self) -> dict:
        """Everything that changes the images of a pair (for the per-clip fingerprint)."""
        return {k: getattr(self, k) for k in ("window", "window_min", "blur_px", "center", "stride", "crf_name",
                                               "crf_lut_sha256",
                                               "saturation", "noise_canonical", "jpeg_quality", "image_format",
                                               "quality", "seed")}

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)
