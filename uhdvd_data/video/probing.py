"""probe(path) -> ClipInfo with PyAV: demux packets (cheap) for exact timestamps and frame count, decode one
frame for rotation and decodability. find_videos() expands files/folders. Bad input -> one-line UserError."""

from __future__ import annotations

import os
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..common.errors import UserError, file_error, warn
from ..common.hashing import sha256_file
from .clipinfo import ClipInfo
from .colour import pix_fmt_info, transfer_name
from .vfr import intervals, is_vfr, nominal_rate

VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".m4v", ".avi", ".mpg", ".mpeg", ".webm", ".mts", ".m2ts", ".ts", ".3gp", ".mxf",
                  ".wmv", ".flv", ".ogv", ".y4m")
MIN_FRAMES = 2  # interpolation needs at least two frames
_IMAGE_DEMUXERS = ("jpeg_pipe", "png_pipe", "image2", "webp_pipe", "bmp_pipe", "gif", "tiff_pipe", "gif_pipe")

# Container tags that name the recording device, most specific first.
_MAKE_KEYS = ("com.apple.quicktime.make", "com.android.manufacturer", "make", "manufacturer")
_MODEL_KEYS = ("com.apple.quicktime.model", "com.android.model", "model")


def find_videos(paths: Iterable[os.PathLike | str]) -> list[Path]:
    """Expand files and folders (recursively) into sorted video paths. UserError for a missing path, a folder
    with no videos, or nothing at all."""
    out: list[Path] = []
    paths = list(paths)
    if not paths:
        raise UserError("no input paths given")
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = sorted(
                q for q in p.rglob("*") if q.suffix.lower() in VIDEO_SUFFIXES and q.is_file() and not q.name.startswith(".")
            )
            if not found:
                raise file_error(p, f"no video files ({'/'.join(VIDEO_SUFFIXES)}) in this folder")
            out.extend(found)
        elif p.is_file():
            out.append(p)
        elif os.path.lexists(p):
            raise file_error(p, "not a regular file or folder")
        else:
            raise file_error(p, "no such file or folder")
    seen: set[str] = set()
    uniq = []
    for p in out:
        key = os.path.realpath(p)
        if key not in seen:
            seen.add(key)
            uniq.append(p)
    return uniq


def _check_readable(path: Path) -> int:
    """Raise a one-line error unless path is a non-empty readable file; returns its size."""
    if not path.exists():
        raise file_error(path, "no such file")
    if path.is_dir():
        raise file_error(path, "is a folder, not a video file")
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except PermissionError:
        raise file_error(path, "permission denied (cannot read the file)") from None
    except OSError as e:
        raise file_error(path, f"cannot read the file ({e.strerror or e})") from None
    if not head:
        raise file_error(path, "empty file (0 bytes)")
    return path.stat().st_size


def _av_cause(e: Exception) -> str:
    msg = getattr(e, "strerror", None) or str(e)
    return msg.split(":")[0].strip() if msg else type(e).__name__


def open_container(path: Path):
    """av.open with bad-input errors mapped to one line."""
    import av

    _check_readable(path)
    try:
        return av.open(str(path), metadata_errors="ignore")
    except PermissionError:
        raise file_error(path, "permission denied (cannot read the file)") from None
    except av.error.FFmpegError as e:
        cause = _av_cause(e)
        raise file_error(path, f"not a readable video ({cause}; truncated, or not a video file?)") from None


def _tag(metas: list[dict], keys: tuple[str, ...]) -> str | None:
    for meta in metas:
        low = {str(k).lower(): v for k, v in meta.items()}
        for k in keys:
            v = low.get(k)
            if v and str(v).strip():
                return str(v).strip()
    return None


def _rotation_from(frame, stream) -> int:
    """Clockwise display rotation in degrees (0/90/180/270). FFmpeg's display matrix angle is counter-clockwise."""
    ccw = None
    if frame is not None:
        try:
            ccw = frame.rotation
        except (AttributeError, ValueError):
            ccw = None
    if ccw:
        cw = -float(ccw)
    else:
        tag = stream.metadata.get("rotate")  # old-style tag (clockwise)
        try:
            cw = float(tag) if tag is not None else 0.0
        except ValueError:
            cw = 0.0
    return int(round(cw / 90.0)) * 90 % 360


def _spans_promised(pts: list[int], promised: int, stream, tb: Fraction) -> bool:
    """Fewer packets than the header's frame count, but timestamps spanning all of its frame slots: frames left out
    on purpose (an AVI's skipped slots, a sparse capture), not a cut-off file. Within one slot of the promise."""
    rate = stream.average_rate or stream.guessed_rate
    if len(pts) < 2 or not rate:
        return False
    slots = float((max(pts) - min(pts)) * tb * Fraction(rate)) + 1
    return slots >= promised - 1


def probe(path: os.PathLike | str, hash: bool = True) -> ClipInfo:  # noqa: A002 - contract name
    """Probe one clip. Raises UserError('<path>: <cause>') for anything we cannot process."""
    import av

    path = Path(path)
    size = _check_readable(path)
    with open_container(path) as c:
        fmt_name = c.format.name if c.format else ""
        if any(n in _IMAGE_DEMUXERS for n in fmt_name.split(",")):
            raise file_error(path, f"is a still image ({fmt_name}), not a video")
        if not c.streams.video:
            what = "audio only" if c.streams.audio else "no streams"
            raise file_error(path, f"no video stream ({what})")
        stream = c.streams.video[0]
        cc = stream.codec_context
        if cc is None or getattr(cc, "name", None) in (None, "", "none"):
            raise file_error(path, "unsupported codec (no decoder for this video stream)")
        codec = cc.name
        promised = int(stream.frames or 0)
        tb = Fraction(stream.time_base) if stream.time_base else Fraction(1, 90000)

        # 1) Demux every video packet: exact count and timestamps without decoding.
        pts: list[int] = []
        n_packets = 0  # frames shown
        n_stored = 0  # packets in the file (the header's count includes edit-list trimmed ones)
        overrun = False
        try:
            for pkt in c.demux(stream):
                if pkt.size == 0:
                    continue
                n_stored += 1
                if pkt.pos is not None and pkt.pos >= 0 and pkt.pos + pkt.size > size:
                    overrun = True
                if getattr(pkt, "is_discard", False):  # trimmed by an edit list: decoded but never shown
                    continue
                n_packets += 1
                if pkt.pts is not None:
                    pts.append(int(pkt.pts))
                elif pkt.dts is not None:
                    pts.append(int(pkt.dts))
        except av.error.FFmpegError as e:
            raise file_error(path, f"corrupt or truncated video data after {n_packets} packets ({_av_cause(e)})") from None
        if overrun or (promised and n_stored < promised and not _spans_promised(pts, promised, stream, tb)):
            raise file_error(
                path, f"truncated file: header promises {promised or '?'} frames, only {n_stored} present"
            )
        if n_packets == 0:
            raise file_error(path, "no video frames")
        if n_packets < MIN_FRAMES:
            raise file_error(path, f"only {n_packets} frame; interpolation needs at least {MIN_FRAMES} frames")

    # 2) Decode the first frame (fresh open: cheap, no seeking): is it decodable, pixel format, rotation.
    with open_container(path) as c:
        stream = c.streams.video[0]
        try:
            first = next(iter(c.decode(stream)), None)
        except av.error.FFmpegError as e:
            raise file_error(path, f"cannot decode the {codec} video ({_av_cause(e)})") from None
        if first is None:
            raise file_error(path, f"cannot decode the {codec} video (no frame decoded)")
        cc = stream.codec_context
        pix_fmt = cc.pix_fmt or first.format.name
        bit_depth, why = pix_fmt_info(pix_fmt)
        if why:
            raise file_error(path, why)
        transfer = transfer_name(cc.color_trc)
        if transfer == "unknown":
            transfer = transfer_name(getattr(first, "color_trc", None))
        rotation = _rotation_from(first, stream)
        w, h = int(cc.width or first.width), int(cc.height or first.height)
        if rotation in (90, 270):
            w, h = h, w
        metas = [dict(c.metadata), dict(stream.metadata)]
        make = _tag(metas, _MAKE_KEYS)
        model = _tag(metas, _MODEL_KEYS)
        has_audio = bool(c.streams.audio)
        container_rate = stream.average_rate or stream.guessed_rate
        container_rate = Fraction(container_rate) if container_rate else None

    ts = np.sort(np.asarray(pts, dtype=np.int64)) if len(pts) == n_packets else np.array([], dtype=np.int64)
    deltas = intervals(ts)
    vfr = is_vfr(deltas)
    fps = nominal_rate(deltas, tb, container_rate, vfr)
    if len(ts) >= 2:
        span = float((ts[-1] - ts[0]) * tb)
        dsec = deltas * float(tb)
        stats = (float(dsec.min()), float(np.median(dsec)), float(dsec.max()))
    else:
        span = (n_packets - 1) / float(fps)
        stats = (0.0, 0.0, 0.0)
    duration = span + 1 / float(fps)
    return ClipInfo(
        path=str(path),
        sha256=sha256_file(path) if hash else None,
        width=w,
        height=h,
        fps_num=fps.numerator,
        fps_den=fps.denominator,
        frame_count=n_packets,
        duration_s=duration,
        codec=codec,
        pix_fmt=pix_fmt,
        bit_depth=bit_depth,
        transfer=transfer,
        rotation=rotation,
        vfr=vfr,
        has_audio=has_audio,
        make=make,
        model=model,
        interval_stats=stats,
    )


def probe_many(paths: Iterable[os.PathLike | str], hash: bool = True,  # noqa: A002 - probe's name
               skip_bad: bool = False) -> tuple[dict, int]:
    """({path: ClipInfo}, number skipped) for every path, in order. An unreadable clip raises its one-line UserError,
    or with skip_bad is left out with a warning naming it."""
    infos, bad = {}, 0
    for path in paths:
        try:
            infos[path] = probe(path, hash=hash)
        except UserError as e:
            if not skip_bad:
                raise
            warn(f"skipped {e}")
            bad += 1
    return infos, bad
