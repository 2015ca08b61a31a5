"""open_video(): stream decoded RGB frames (PyAV), rotation applied, exact timestamps, VFR/HDR policies."""

from __future__ import annotations

import os
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..common.errors import UserError, file_error
from .clipinfo import ClipInfo, Frame
from .colour import rgb_format
from .probing import _av_cause, open_container, probe
from .vfr import grid_length, resample_to_grid

VFR_POLICIES = ("cfr", "error")


def rotate_cw(rgb: np.ndarray, degrees: int) -> np.ndarray:
    """Rotate an HxWxC image clockwise by 0/90/180/270 degrees (how the display matrix says to show it)."""
    k = (degrees // 90) % 4
    if k == 0:
        return rgb
    return np.ascontiguousarray(np.rot90(rgb, k=-k))


class VideoReader:
    """Iterate a clip as Frame objects; use open_video() to build one. One pass per `for` loop (re-opens)."""

    def __init__(self, path: os.PathLike | str, vfr: str = "cfr", allow_hdr: bool = True, info: ClipInfo | None = None,
                 threads: int = 0):
        if vfr not in VFR_POLICIES:
            raise UserError(f"unknown VFR policy {vfr!r} (choose from {', '.join(VFR_POLICIES)})")
        self.path = Path(path)
        self.info = info if info is not None else probe(self.path, hash=False)
        self.policy = vfr
        self.threads = threads
        if self.info.is_hdr and not allow_hdr:
            raise file_error(
                self.path,
                f"HDR footage (transfer {self.info.transfer}) refused by --refuse-hdr (by default it is kept in its "
                "transfer and synthesize averages it with that curve)",
            )
        if self.info.vfr and vfr == "error":
            lo, med, hi = self.info.interval_stats
            raise file_error(
                self.path,
                f"variable frame rate (frame intervals {lo * 1000:.1f}-{hi * 1000:.1f} ms, median {med * 1000:.1f} ms) "
                f"refused by --vfr error; use --vfr cfr to resample to {self.info.fps_str} fps",
            )
        self.resample = self.info.vfr and vfr == "cfr"
        self.stats: dict = {"vfr": self.info.vfr, "policy": vfr, "resampled": self.resample, "duplicated": 0,
                            "dropped": 0, "source_frames": 0, "output_frames": 0}
        self._container = None

    @property
    def fps(self) -> Fraction:
        return self.info.fps_fraction

    @property
    def frame_count(self) -> int:
        """How many frames iteration yields (the CFR grid length for a resampled VFR clip)."""
        if self.resample:
            return grid_length(self.info.duration_s - 1 / self.info.fps, self.fps)
        return self.info.frame_count

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None

    def _decoded(self) -> Iterator[tuple[float, np.ndarray]]:
        """(time_s relative to the first frame, rgb) for every source frame, in presentation order."""
        import av

        self.close()
        self._container = c = open_container(self.path)
        stream = c.streams.video[0]
        stream.thread_type = "AUTO"
        if self.threads:
            stream.codec_context.thread_count = self.threads
        tb = float(stream.time_base) if stream.time_base else 0.0
        fmt = rgb_format(self.info.bit_depth)
        rot = self.info.rotation
        t0 = size = None
        n = 0
        try:
            for frame in c.decode(stream):
                if frame.pts is not None and tb:
                    t = frame.pts * tb
                else:
                    t = n / self.info.fps
                if t0 is None:
                    t0 = t
                rgb = rotate_cw(np.ascontiguousarray(frame.to_ndarray(format=fmt)), rot)  # padded rows: strided view
                if size is None:
                    size = rgb.shape[:2]
                elif rgb.shape[:2] != size:
                    raise file_error(self.path, f"frame {n} is {rgb.shape[1]}x{rgb.shape[0]}, the clip starts at "
                                                f"{size[1]}x{size[0]}: the resolution changes mid-clip (cut it there "
                                                f"into two clips)")
                n += 1
                yield t - t0, rgb
        except av.error.FFmpegError as e:
            raise file_error(self.path, f"corrupt video data after {n} frames ({_av_cause(e)})") from None
        finally:
            self.close()
        if n < self.info.frame_count:
            raise file_error(self.path, f"only {n} of {self.info.frame_count} frames could be decoded (truncated?)")

    def timed(self) -> Iterator[tuple[float, np.ndarray]]:
        """(time_s from the first frame, rgb) of every source frame as recorded (no resampling; counts
        stats['source_frames']): for callers that put a VFR clip on its grid themselves (interp.retime)."""
        self.stats["source_frames"] = 0
        for item in self._decoded():
            self.stats["source_frames"] += 1
            yield item

    def __iter__(self) -> Iterator[Frame]:
        st = self.stats
        st.update(duplicated=0, dropped=0, source_frames=0, output_frames=0)

        def counted():
            for item in self._decoded():
                st["source_frames"] += 1
                yield item

        if not self.resample:
            for i, (t, rgb) in enumerate(counted()):
                st["output_frames"] += 1
                yield Frame(index=i, time_s=t, rgb=rgb, src_index=i, src_time_s=t)
            return
        for k, g, si, st_t, rgb in resample_to_grid(counted(), self.fps, self.frame_count, st):
            st["output_frames"] += 1
            yield Frame(index=k, time_s=g, rgb=rgb, src_index=si, src_time_s=st_t)


def open_video(path: os.PathLike | str, vfr: str = "cfr", allow_hdr: bool = True, info: ClipInfo | None = None,
               threads: int = 0) -> VideoReader:
    """Open a clip for streaming decode. vfr: 'cfr' resamples VFR clips to the nominal fps grid (nearest source
    frame; duplicates/drops counted in .stats), 'error' refuses them. HDR (HLG/PQ) frames keep their transfer;
    allow_hdr=False refuses them."""
    return VideoReader(path, vfr=vfr, allow_hdr=allow_hdr, info=info, threads=threads)
