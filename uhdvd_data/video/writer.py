"""VideoWriter: the project's one video encoder (RGB frames -> ffmpeg pipe -> video file, atomic).

Used for generic video output (demo clips), the lossless FFV1 frame store of `interpolate --format ffv1`
(uhdvd_data.interp.store) and `uhdvd-deblur`'s video output (uhdvd_model.infer.video).

The ffmpeg command line is built with ffmpeg-python (`VideoWriter.command()`) and run with subprocess here, so
that ffmpeg's stderr goes to a log (the last line ends up in the one-line error) and the process can be aborted.
The output is written to a temp name beside the target and renamed on close(); abort() (or an exception inside
`with VideoWriter(...)`, or the writer being garbage-collected unclosed) kills ffmpeg and removes the temp file.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
import weakref
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import IO

import numpy as np

from ..common.atomic import temp_beside
from ..common.errors import file_error
from ..common.ffmpeg_bin import ffmpeg_exe

# Audio codecs an .mp4/.mov can carry as-is; others are re-encoded to AAC.
_MP4_AUDIO = {"aac", "mp3", "alac", "ac3", "eac3", "opus", "flac"}
_MP4ISH = (".mp4", ".mov", ".m4v")
_BT709 = ("scale=out_color_matrix=bt709:out_range=tv,"
          "setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv")
OptionValue = str | int | float | None


def _audio_codec(path: Path) -> str | None:
    import av

    try:
        with av.open(str(path)) as c:
            return c.streams.audio[0].codec_context.name if c.streams.audio else None
    except av.error.FFmpegError:
        return None


def is_rgb_pix_fmt(pix_fmt: str) -> bool:
    """True for RGB output formats (gbrp, bgr0, rgb48le, ...): no YUV matrix, no colour tags."""
    return pix_fmt.startswith(("gbr", "rgb", "bgr", "0rgb", "0bgr", "argb", "abgr"))


def _cleanup(proc: subprocess.Popen | None, tmp: Path | None, log: IO[bytes] | None) -> None:
    """Stop ffmpeg, remove the temp output, close the log (also run by the finalizer of an unclosed writer)."""
    if proc is not None:
        with contextlib.suppress(Exception):
            proc.stdin.close()
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    if tmp is not None:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    if log is not None:
        log.close()


class VideoWriter:
    """Encode HxWx3 RGB frames (uint8 or uint16) with the ffmpeg binary.

    fps is kept as an exact fraction. width/height None: taken from the first frame. Default: libx264, crf 18,
    yuv420p, BT.709 tags (RGB -> YUV with the BT.709 matrix, limited range). qp=0 with pix_fmt='yuv444p' is
    (near-)lossless; an RGB pix_fmt (e.g. codec='ffv1', pix_fmt='bgr0' or 'gbrp16le') is stored as is, lossless.
    audio_from: copy the audio track of that file (re-encoded to AAC when the container cannot carry it).
    options: more ffmpeg output options (ffmpeg-python keyword style, e.g. {"level": 3}; None = a bare flag).
    API: open() (optional; write() opens on the first frame), write(rgb), close() -> path, abort().
    """

    def __init__(
        self,
        out_path: os.PathLike | str,
        fps: Fraction | int | float | str,
        width: int | None = None,
        height: int | None = None,
        codec: str = "libx264",
        crf: int | None = 18,
        audio_from: os.PathLike | str | None = None,
        pix_fmt: str = "yuv420p",
        qp: int | None = None,
        preset: str = "medium",
        options: Mapping[str, OptionValue] | None = None,
    ):
        self._path = Path(out_path)
        self.fps = fps if isinstance(fps, Fraction) else Fraction(fps)
        self.width = int(width) if width else None
        self.height = int(height) if height else None
        self.codec, self.crf, self.qp, self.pix_fmt, self.preset = codec, crf, qp, pix_fmt, preset
        self.options = dict(options or {})
        self.audio_from = Path(audio_from) if audio_from else None
        if self.audio_from is not None and not self.audio_from.is_file():
            raise file_error(self.audio_from, "audio source not found")
        self._frames = 0
        self._dtype: np.dtype | None = None
        self._proc: subprocess.Popen | None = None
        self._tmp: Path | None = None
        self._log: IO[bytes] | None = None
        self._finalizer: weakref.finalize | None = None

    # ------------------------------------------------------------------ public state
    @property
    def path(self) -> Path:
        """The output file (it exists only after a successful close())."""
        return self._path

    @property
    def frames(self) -> int:
        """Frames written so far."""
        return self._frames

    @property
    def is_open(self) -> bool:
        return self._proc is not None

    # ------------------------------------------------------------------ command
    def command(self, dtype: np.dtype | type = np.uint8, target: os.PathLike | str | None = None) -> list[str]:
        """The ffmpeg argv (built with ffmpeg-python) for frames of `dtype`, writing to `target` (default: path)."""
        import ffmpeg

        if not (self.width and self.height):
            raise ValueError("frame size unknown: give width/height or write a frame first")
        in_fmt = "rgb48le" if np.dtype(dtype) == np.uint16 else "rgb24"
        video = ffmpeg.input("pipe:", format="rawvideo", pix_fmt=in_fmt, s=f"{self.width}x{self.height}",
                             framerate=f"{self.fps.numerator}/{self.fps.denominator}")
        out_path = Path(target) if target is not None else self._path
        mp4ish = self._path.suffix.lower() in _MP4ISH
        opts: dict[str, OptionValue] = {"c:v": self.codec, "pix_fmt": self.pix_fmt}
        if not is_rgb_pix_fmt(self.pix_fmt):
            opts.update({"vf": _BT709, "colorspace": "bt709", "color_primaries": "bt709", "color_trc": "bt709",
                         "color_range": "tv"})
        if self.codec in ("libx264", "libx265"):
            opts["preset"] = self.preset
            if self.qp is not None:
                opts["qp"] = self.qp
            elif self.crf is not None:
                opts["crf"] = self.crf
        if self.codec == "libx265":
            opts.update({"x265-params": "log-level=error", "tag:v": "hvc1"})
        streams = [video]
        if self.audio_from is not None:
            streams = [video["v:0"], ffmpeg.input(str(self.audio_from))["a:0?"]]
            opts["c:a"] = "copy" if (_audio_codec(self.audio_from) in _MP4_AUDIO or not mp4ish) else "aac"
        if mp4ish:
            opts["movflags"] = "+faststart"
        opts.update(self.options)
        out = ffmpeg.output(*streams, str(out_path), **opts)
        out = out.global_args("-hide_banner", "-loglevel", "error", "-nostdin")
        return [str(a) for a in out.compile(cmd=ffmpeg_exe(), overwrite_output=True)]

    # ------------------------------------------------------------------ life cycle
    def open(self, dtype: np.dtype | type = np.uint8) -> None:
        """Start ffmpeg for frames of `dtype` (uint8 or uint16); write() calls this on the first frame."""
        if self._proc is not None:
            raise ValueError(f"{self._path}: writer already open")
        dtype = np.dtype(dtype)
        if dtype not in (np.uint8, np.uint16):
            raise ValueError(f"frames must be uint8 or uint16, not {dtype}")
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = temp_beside(self._path, suffix=self._path.suffix or ".mp4")  # ffmpeg rewrites it in place
        os.close(fd)
        self._tmp, self._dtype, self._frames = Path(tmp), dtype, 0
        self._log = tempfile.TemporaryFile()
        try:
            cmd = self.command(dtype, self._tmp)
            self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._log)
        except OSError as e:
            self.abort()
            raise file_error(self._path, f"cannot run ffmpeg ({e.strerror or e})") from e
        except BaseException:
            self.abort()
            raise
        self._finalizer = weakref.finalize(self, _cleanup, self._proc, self._tmp, self._log)

    def write(self, rgb: np.ndarray) -> None:
        if self.width is None or self.height is None:
            if rgb.ndim == 3 and rgb.shape[2] == 3:
                self.height, self.width = int(rgb.shape[0]), int(rgb.shape[1])
        if rgb.shape != (self.height, self.width, 3) or rgb.dtype not in (np.uint8, np.uint16):
            raise ValueError(f"expected {self.height}x{self.width}x3 uint8/uint16 frame, got {rgb.shape} {rgb.dtype}")
        if self._proc is None:
            self.open(rgb.dtype)
        elif rgb.dtype != self._dtype:
            raise ValueError("all frames of a video must have the same dtype")
        data = np.ascontiguousarray(rgb).astype("<u2" if rgb.dtype == np.uint16 else np.uint8, copy=False)
        try:
            self._proc.stdin.write(data.tobytes())
        except (BrokenPipeError, ValueError):  # ffmpeg exited early / pipe already closed
            self._fail()
        self._frames += 1

    def close(self) -> Path:
        """Finish encoding and move the file into place; returns the output path."""
        if self._proc is None:
            self.abort()
            raise file_error(self._path, "no frames written")
        with contextlib.suppress(BrokenPipeError):
            self._proc.stdin.close()
        if self._proc.wait() != 0:
            self._fail()
        try:
            os.replace(self._tmp, self._path)
        except OSError:
            self.abort()
            raise
        self._tmp = None
        self._release()
        return self._path

    def abort(self) -> None:
        """Stop ffmpeg and remove the temp file; the target is left untouched. Safe to call more than once."""
        _cleanup(self._proc, self._tmp, self._log)
        self._tmp = None
        self._release()

    # ------------------------------------------------------------------ internals
    def _release(self) -> None:
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        if self._log is not None:
            self._log.close()
        self._proc, self._log = None, None

    def _fail(self) -> None:
        """ffmpeg failed: wait for it, abort, raise one line naming the output and ffmpeg's last stderr line."""
        with contextlib.suppress(Exception):
            self._proc.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(timeout=10)
        msg = self._ffmpeg_error()
        self.abort()
        raise file_error(self._path, f"video encoding failed: {msg}")

    def _ffmpeg_error(self) -> str:
        if self._log is None or self._log.closed:
            return "ffmpeg failed"
        self._log.seek(0)
        lines = [ln.strip() for ln in self._log.read().decode(errors="replace").splitlines() if ln.strip()]
        return lines[-1] if lines else f"ffmpeg failed (exit code {self._proc.returncode})"

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


__all__ = ["VideoWriter", "is_rgb_pix_fmt"]
