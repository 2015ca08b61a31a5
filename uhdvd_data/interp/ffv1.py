"""The FFV1 flavour of the interpolated-clip store: one lossless video `frames.mkv` instead of numbered PNGs.

Writing goes through the project's one encoder (uhdvd_data.video.VideoWriter: atomic, abortable, one-line errors).
Reading (`Ffv1Frames`) keeps one decoder open and walks the video forwards, so consecutive reads (synthesis windows)
decode every frame once; a read behind the decoder, or far ahead of it, seeks to the nearest earlier keyframe
(FFV1 from ffmpeg has one every 12 frames, indexed by the Matroska cues) and decodes forwards from there. Only the
last decoded frame is kept, so memory stays at one frame whatever the resolution.

Frame i is stored at time i / RATE; the index of a decoded frame is recovered from its timestamp.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..common.errors import file_error

if TYPE_CHECKING:
    import av

    from ..video.writer import VideoWriter

RATE = Fraction(30)  # nominal frame rate of frames.mkv (timestamps only; the true rate is in clip.json)
SEEK_AHEAD = 24  # decode forwards rather than seek when the wanted frame is at most this far ahead


def ffv1_writer(path: os.PathLike | str, dtype: np.dtype) -> VideoWriter:
    """A VideoWriter for lossless planar-RGB FFV1 (8 or 16 bit, following `dtype`)."""
    from ..video.writer import VideoWriter

    deep = np.dtype(dtype) == np.uint16
    return VideoWriter(path, RATE, codec="ffv1", crf=None, pix_fmt="gbrp16le" if deep else "bgr0",
                       options={"level": 3})


class Ffv1Frames:
    """Random access to the frames of one FFV1 store video, fast when the indices mostly increase."""

    def __init__(self, path: os.PathLike | str, n_frames: int):
        self.path = Path(path)
        self.n_frames = int(n_frames)
        self._container: av.container.InputContainer | None = None
        self._stream: av.VideoStream | None = None
        self._frames: Iterator[av.VideoFrame] | None = None
        self._next: int | None = None  # index the decoder yields next (None: unknown right after a seek)
        self._last: tuple[int, av.VideoFrame] | None = None  # (index, av.VideoFrame) of the last decoded frame
        self.decoded = 0  # frames decoded so far (for tests and benchmarks)
        self.seeks = 0

    # ------------------------------------------------------------------ public
    def read(self, index: int, order: str = "rgb") -> np.ndarray:
        """Frame `index` as HxWx3 uint8/uint16 in `order` "rgb" or "bgr"."""
        if order not in ("rgb", "bgr"):
            raise ValueError(f"order must be 'rgb' or 'bgr', not {order!r}")
        if not 0 <= index < self.n_frames:
            raise file_error(self.path, f"no frame {index} (the clip has {self.n_frames})")
        if self._last is None or self._last[0] != index:
            self._last = (index, self._decode_to(index))
        fr = self._last[1]
        deep = "16" in fr.format.name or "48" in fr.format.name
        # PyAV returns a strided view when the converted frame's rows are padded (it depends on the buffer's
        # alignment, so it comes and goes); callers get a contiguous array either way (no copy when it already is)
        return np.ascontiguousarray(fr.to_ndarray(format=(order + ("48le" if deep else "24"))))

    def size(self) -> tuple[int, int]:
        """(width, height) from the stream header."""
        self._ensure_open()
        return int(self._stream.codec_context.width), int(self._stream.codec_context.height)

    def check_has(self, index: int) -> None:
        """Raise unless the video holds a packet for frame `index` (demuxes near it; decodes nothing)."""
        import av

        try:
            with self._open() as c:
                s = c.streams.video[0]
                if index > SEEK_AHEAD:
                    c.seek(self._pts(index, s.time_base), stream=s, backward=True)
                for pkt in c.demux(s):
                    if pkt.pts is not None and self._index(pkt.pts, s.time_base) >= index:
                        return
        except av.error.FFmpegError as e:
            raise file_error(self.path, f"unreadable frame video ({e}; rerun interpolate)") from e
        raise file_error(self.path, f"video ends before frame {index} (truncated? rerun interpolate)")

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
        self._container = self._stream = self._frames = None
        self._next, self._last = None, None

    def __enter__(self) -> Ffv1Frames:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ internals
    def _open(self) -> av.container.InputContainer:
        import av

        if not self.path.is_file():
            raise file_error(self.path, "missing frame video (rerun interpolate)")
        try:
            return av.open(str(self.path))
        except av.error.FFmpegError as e:
            raise file_error(self.path, f"unreadable frame video ({e}; rerun interpolate)") from e

    def _ensure_open(self) -> None:
        if self._container is not None:
            return
        self._container = self._open()
        self._stream = self._container.streams.video[0]
        self._frames = self._container.decode(self._stream)
        self._next = 0

    @staticmethod
    def _pts(index: int, time_base: Fraction) -> int:
        return round(Fraction(index) / RATE / Fraction(time_base))

    @staticmethod
    def _index(pts: int, time_base: Fraction) -> int:
        return round(Fraction(pts) * Fraction(time_base) * RATE)

    def _restart(self, index: int) -> None:
        """Position the decoder at or before `index`: from the start, or by seeking to an earlier keyframe."""
        self._ensure_open()
        if index <= SEEK_AHEAD:
            if self._next != 0:
                self._container.seek(0, stream=self._stream, backward=True)
                self._frames = self._container.decode(self._stream)
                self._next = 0
            return
        self._container.seek(self._pts(index, self._stream.time_base), stream=self._stream, backward=True)
        self._frames = self._container.decode(self._stream)
        self._next = None
        self.seeks += 1

    def _decode_to(self, index: int) -> av.VideoFrame:
        import av

        self._ensure_open()
        if self._next is None or index < self._next or index - self._next > SEEK_AHEAD:
            self._restart(index)
        retried = False
        try:
            while True:
                fr = next(self._frames, None)
                if fr is None:
                    raise file_error(self.path, f"video ends before frame {index} (truncated? rerun interpolate)")
                self.decoded += 1
                got = self._index(fr.pts, self._stream.time_base) if fr.pts is not None else self._next
                if got is None:
                    raise file_error(self.path, "frame without a timestamp (rerun interpolate)")
                self._next = got + 1
                if got == index:
                    return fr
                if got > index:  # the seek overshot (no cue before it): decode from the start instead
                    if retried or index <= SEEK_AHEAD:
                        raise file_error(self.path, f"cannot find frame {index} (rerun interpolate)")
                    retried = True
                    self._container.seek(0, stream=self._stream, backward=True)
                    self._frames = self._container.decode(self._stream)
                    self._next = 0
        except av.error.FFmpegError as e:
            self.close()
            raise file_error(self.path, f"cannot decode frame {index} ({e}; rerun interpolate)") from e
