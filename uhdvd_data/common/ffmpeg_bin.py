"""Where the ffmpeg binary comes from.

Design: decoding and probing go through PyAV (in-process FFmpeg libraries, exact per-frame timestamps, no ffprobe
needed). Encoding videos through a pipe uses an ffmpeg binary: the system `ffmpeg` when on PATH, else the static
binary shipped inside the `imageio-ffmpeg` wheel, so a machine without system ffmpeg works. UHDVD_FFMPEG overrides both.
"""

from __future__ import annotations

import functools
import os
import shutil

from .errors import UserError


@functools.lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    env = os.environ.get("UHDVD_FFMPEG")
    if env:
        return env
    system = shutil.which("ffmpeg")
    if system:
        return system
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception as e:  # noqa: BLE001
        raise UserError(f"no ffmpeg found: install ffmpeg or the imageio-ffmpeg package ({e})") from e
