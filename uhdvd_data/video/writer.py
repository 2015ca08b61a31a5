"""VideoWriter: RGB frames -> ffmpeg pipe -> video file, written to a temp name and renamed when complete."""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..common.atomic import TMP_PREFIX
from ..common.errors import file_error
from ..common.ffmpeg_bin import ffmpeg_exe

# Audio codecs an .mp4/.mov can carry as-is; others are re-encoded to AAC.
_MP4_AUDIO = {"aac", "mp3", "alac", "ac3", "eac3", "opus", "flac"}


def _audio_codec(path: Path) -> str | None:
    import av

    try:
        with av.open(str(path)) as c:
            return c.streams.audio[0].codec_context.name if c.streams.audio else None
    except av.error.FFmpegError:
        return None


class VideoWriter:
    """Encode HxWx3 RGB frames (uint8 or uint16) with the ffmpeg binary.

    fps is kept as an exact fraction. Default: libx264, crf 18, yuv420p, BT.709 tags (RGB -> YUV with the BT.709
    matrix, limited range). qp=0 with pix_fmt='yuv444p' is (near-)lossless. audio_from: copy the audio track of
    that file (re-encoded to AAC when the container cannot carry it). The file appears only when close() succeeds.
    """

    def __init__(
        self,
        out_path: os.PathLike | str,
        fps: Fraction | int | float | str,
        width: int,
        height: int,
        codec: str = "libx264",
        crf: int | None = 18,
        audio_from: os.PathLike | str | None = None,
        pix_fmt: str = "yuv420p",
        qp: int | None = None,
        preset: str = "medium",
        extra_args: tuple[str, ...] = (),
    ):
        self.path = Path(out_path)
        self.fps = Fraction(fps) if not isinstance(fps, Fraction) else fps
        self.width, self.height = int(width), int(height)
        self.frames = 0
        self._in_dtype: np.dtype | None = None
        self._proc: subprocess.Popen | None = None
        self._args = dict(codec=codec, crf=crf, qp=qp, pix_fmt=pix_fmt, preset=preset, extra=tuple(extra_args))
        self.audio_from = Path(audio_from) if audio_from else None
        if self.audio_from is not None and not self.audio_from.is_file():
            raise file_error(self.audio_from, "audio source not found")
        self._tmp: Path | None = None
        self._log = tempfile.TemporaryFile()

    def _start(self, dtype: np.dtype) -> None:
        a = self._args
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f"{TMP_PREFIX}{self.path.name}.", suffix=self.path.suffix or ".mp4",
                                   dir=self.path.parent)
        os.close(fd)
        self._tmp = Path(tmp)
        in_fmt = "rgb24" if dtype == np.uint8 else "rgb48le"
        cmd = [ffmpeg_exe(), "-y", "-hide_banner", "-loglevel", "error", "-nostdin",
               "-f", "rawvideo", "-pix_fmt", in_fmt, "-s", f"{self.width}x{self.height}",
               "-framerate", f"{self.fps.numerator}/{self.fps.denominator}", "-i", "pipe:0"]
        if self.audio_from is not None:
            cmd += ["-i", str(self.audio_from), "-map", "0:v:0", "-map", "1:a:0?"]
        cmd += ["-vf", "scale=out_color_matrix=bt709:out_range=tv,"
                "setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv",
                "-c:v", a["codec"], "-pix_fmt", a["pix_fmt"],
                "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv"]
        if a["codec"] in ("libx264", "libx265"):
            cmd += ["-preset", a["preset"]]
            if a["qp"] is not None:
                cmd += ["-qp", str(a["qp"])]
            elif a["crf"] is not None:
                cmd += ["-crf", str(a["crf"])]
        if a["codec"] == "libx265":
            cmd += ["-x265-params", "log-level=error", "-tag:v", "hvc1"]
        if self.audio_from is not None:
            acodec = _audio_codec(self.audio_from)
            mp4ish = self.path.suffix.lower() in (".mp4", ".mov", ".m4v")
            cmd += ["-c:a", "copy" if (acodec in _MP4_AUDIO or not mp4ish) else "aac"]
        if self.path.suffix.lower() in (".mp4", ".mov", ".m4v"):
            cmd += ["-movflags", "+faststart"]
        cmd += [*a["extra"], str(self._tmp)]
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._log)

    def _ffmpeg_error(self) -> str:
        self._log.seek(0)
        lines = [ln.strip() for ln in self._log.read().decode(errors="replace").splitlines() if ln.strip()]
        return lines[-1] if lines else "ffmpeg failed"

    def write(self, rgb: np.ndarray) -> None:
        if rgb.shape != (self.height, self.width, 3) or rgb.dtype not in (np.uint8, np.uint16):
            raise ValueError(f"expected {self.height}x{self.width}x3 uint8/uint16 frame, got {rgb.shape} {rgb.dtype}")
        if self._proc is None:
            self._in_dtype = rgb.dtype
            self._start(rgb.dtype)
        elif rgb.dtype != self._in_dtype:
            raise ValueError("all frames of a video must have the same dtype")
        try:
            self._proc.stdin.write(np.ascontiguousarray(rgb).astype("<u2" if rgb.dtype == np.uint16 else np.uint8,
                                                                    copy=False).tobytes())
        except BrokenPipeError:
            self.abort()
            raise file_error(self.path, f"video encoding failed: {self._ffmpeg_error()}") from None
        self.frames += 1

    def close(self) -> Path:
        """Finish encoding and move the file into place."""
        if self._proc is None:
            self.abort()
            raise file_error(self.path, "no frames written")
        try:
            self._proc.stdin.close()
        except BrokenPipeError:
            pass
        rc = self._proc.wait()
        if rc != 0:
            msg = self._ffmpeg_error()
            self.abort()
            raise file_error(self.path, f"video encoding failed: {msg}")
        os.replace(self._tmp, self.path)
        self._proc = None
        self._log.close()
        return self.path

    def abort(self) -> None:
        """Stop ffmpeg and remove the temp file; the target is left untouched."""
        if self._proc is not None:
            with contextlib.suppress(Exception):
                self._proc.stdin.close()
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.wait()
            self._proc = None
        if self._tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                self._tmp.unlink()
            self._tmp = None

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


__all__ = ["VideoWriter"]
