"""Interpolate whole clips: time grid, scene cuts, method selection, resumable per-clip output.

Fused API (used by `build`):

    meta, frames = iter_interpolated("raw/clip.mp4", fps=480)
    for row, rgb in frames:      # store.FrameRow, HxWx3 uint8|uint16, in index order
        ...
    # meta["segments"], meta["gaps"], meta["boundaries"] are complete once the iterator is exhausted

Scene cuts / flashes: no frame is synthesized across a boundary between source frames i and i+1. To keep the grid
(output frame i*factor = source frame i), the factor-1 slots between them are filled by holding the nearest source
frame (first half: frame i, second half: frame i+1); those rows have segment -1 ("not usable": excluded from
InterpClip.segments() and from clip.json "segments", listed in clip.json "gaps"). Real segments are numbered 0, 1, ...
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np

from .. import __version__
from ..common.atomic import clean_temp_files, write_text
from ..common.stages import OrderedWriter
from . import retime, scenes, timegrid
from .methods import make_method, warn
from .store import CLIP_JSON, FFV1_NAME, FRAME_PATTERN, FRAMES_CSV, FrameRow, InterpClipWriter

PARTIAL_JSON = "partial.json"
GAP_SEGMENT = -1


def clip_id_for(path: os.PathLike | str) -> str:
    stem = Path(path).stem
    s = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._") or "clip"
    return s


class _Grid:
    def __init__(self, src_fps: Fraction, factor: int):
        self.factor = factor
        self.fps = timegrid.out_fps(src_fps, factor)

    def time(self, n: int) -> float:
        return timegrid.frame_time(n, self.fps)


def _with_boundaries(frames: Iterator, scene_threshold: float, flash_jump: float) -> Iterator[tuple]:
    """(index, rgb, boundary to the previous frame or None for the first, recorded) for each source frame; recorded is
    False for a grid frame a VFR clip lacked and interp.retime made (its src_index is negative)."""
    prev_thumb = None
    for i, fr in enumerate(frames):
        rgb = fr.rgb if hasattr(fr, "rgb") else fr
        recorded = (getattr(fr, "src_index", None) or 0) >= 0
        thumb = scenes.thumbnail(rgb)
        yield (i, rgb, None if prev_thumb is None else scenes.compare(prev_thumb, thumb, scene_threshold, flash_jump),
               recorded)
        prev_thumb = thumb


class DeviceFrame:
    """A frame as code values on the interpolation device (`generate(..., on_device=True)`): `codes` HxWx3 (uint8,
    or int32 holding 16-bit codes), `dtype` the numpy dtype of the source frames. `.numpy()` gives it on the host:
    captured frames keep their decoded host array (`host`), interpolated ones are copied back."""

    __slots__ = ("codes", "dtype", "host")

    def __init__(self, codes, dtype: np.dtype, host: np.ndarray | None = None):
        self.codes, self.dtype, self.host = codes, np.dtype(dtype), host

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.codes.shape)

    def numpy(self) -> np.ndarray:
        from .methods import codes_to_numpy

        return self.host if self.host is not None else codes_to_numpy(self.codes, self.dtype)


def generate(frames: Iterator, interp, factor: int, src_fps: Fraction, meta: dict,
             has: Callable[[int], bool] | None = None, scene_threshold: float = scenes.DEFAULT_THRESHOLD,
             flash_jump: float = scenes.DEFAULT_FLASH_JUMP, lookahead: int = 1,
             on_device: bool = False) -> Iterator[tuple[FrameRow, np.ndarray | DeviceFrame | None]]:
    """Yield (row, rgb) in index order for source frames `frames` (iterable of objects with .index/.rgb or arrays).
    When has(n) is true the frame is already on disk: rgb is None and nothing is computed for it.

    The frames between source frames i-1 and i are made once frame i+1 has been read: the method is given the
    captured frames on either side of the pair (i-2 and i+1, when in the same scene segment) for its trajectories.
    `lookahead` source frames are read ahead, and the motion of each pair among them that still needs frames is handed
    to the method's motion workers (`interp.prefetch`) so it is ready when the device gets there. With `on_device`
    every frame is a DeviceFrame (code values on the device): nothing full-size comes back to the host."""
    from collections import deque

    grid = _Grid(src_fps, factor)
    segments: list[list[int]] = []
    gaps: list[list[int]] = []
    boundaries: list[dict] = []
    meta["segments"], meta["gaps"], meta["boundaries"] = segments, gaps, boundaries
    has = has or (lambda n: False)
    stream = _with_boundaries(frames, scene_threshold, flash_jump)
    ahead: deque = deque()
    last = None  # rgb of the newest frame read
    prefetch = getattr(interp, "prefetch", None) or (lambda a, b: None)  # any object with prepare/frame will do

    def fill() -> None:
        nonlocal last
        while len(ahead) <= max(1, lookahead):
            item = next(stream, None)
            if item is None:
                return
            j, rgb_j, b_j, _ = item
            if b_j is not None and not b_j.is_cut and not all(has(n) for n in range((j - 1) * factor + 1,
                                                                                     j * factor)):
                prefetch(last, rgb_j)
            last = rgb_j
            ahead.append(item)

    def out(rgb):
        if not on_device or rgb is None:
            return rgb
        import torch

        return DeviceFrame(torch.from_numpy(np.ascontiguousarray(rgb)).to(interp.device).to(
            torch.int32 if rgb.dtype == np.uint16 else torch.uint8), rgb.dtype, host=rgb)

    fill()
    prev = before = None
    prev_out = None
    seg = 0
    try:
        while ahead:
            i, rgb, b, recorded = ahead.popleft()
            fill()
            nxt = ahead[0] if ahead else None
            n_src = i * factor
            cur_out = out(rgb)
            if b is not None:
                first = n_src - factor + 1
                if b.is_cut:
                    boundaries.append({"after_src_index": i - 1, "reason": b.reason,
                                       "correlation": round(b.correlation, 4),
                                       "brightness_jump": round(b.brightness_jump, 4)})
                    if factor > 1:
                        gaps.append([first, n_src - 1])
                    for j in range(1, factor):
                        n = first + j - 1
                        held = None if has(n) else (prev_out if j < factor / 2 else cur_out)
                        yield FrameRow(n, grid.time(n), None, GAP_SEGMENT), held
                    seg += 1
                else:
                    after = nxt[1] if nxt is not None and not nxt[2].is_cut else None
                    state = None
                    for j in range(1, factor):
                        n = first + j - 1
                        if has(n):
                            yield FrameRow(n, grid.time(n), None, seg), None
                            continue
                        if state is None:
                            state = interp.prepare(prev, rgb, before=before, after=after)
                        t = j / factor
                        yield FrameRow(n, grid.time(n), None, seg), (
                            DeviceFrame(interp.frame_codes(state, t), rgb.dtype) if on_device
                            else interp.frame(state, t))
                    state = None
            if len(segments) <= seg:
                segments.append([n_src, n_src])
            segments[seg][1] = n_src
            # a grid frame retime made for a VFR clip is no captured frame: no window is centred on it
            yield FrameRow(n_src, grid.time(n_src), i if recorded else None, seg), (None if has(n_src) else cur_out)
            before = prev if b is not None and not b.is_cut else None
            prev, prev_out = rgb, cur_out
    finally:
        if hasattr(interp, "close"):
            interp.close()


def _base_meta(info, interp, factor: int, fps_target, device_name: str, dtype_name: str) -> dict:
    src = Fraction(info.fps_num, info.fps_den)
    out = timegrid.out_fps(src, factor)
    d = interp.describe()
    return {
        "source_path": str(info.path),
        "source_sha256": info.sha256,
        "src_fps": info.fps_str,
        "src_fps_float": info.fps,
        "target_fps": float(timegrid.as_fraction(fps_target)),
        "factor": factor,
        "out_fps": float(out),
        "out_fps_str": timegrid.fraction_str(out),
        "method": d["method"],
        "weights_sha256": d.get("weights_sha256"),
        "method_config": d,
        "tool_version": __version__,
        "width": info.width,
        "height": info.height,
        "bit_depth": info.bit_depth,
        "transfer": info.transfer,
        "rotation": info.rotation,
        "device_model": info.device_model,
        "src_frame_count": info.frame_count,
        "device": device_name,
        "dtype": dtype_name,
        "cut_fill": "hold",
    }


def iter_interpolated(video_path, fps=480, method: str = "auto", weights=None, device=None, dtype=None,
                      tile: int = 0, tile_overlap: int = 64, max_tile: int = 4096, vfr: str = "cfr",
                      allow_hdr: bool = True, scene_threshold: float = scenes.DEFAULT_THRESHOLD,
                      flow_max_side: int = 1024, interp=None, info=None, has=None, motion: str = "fused",
                      trajectory: str = "quadratic", motion_workers: int | None = None, io_queue: int = 4,
                      on_device: bool = False, ensemble: str = "none"):
    """(meta, iterator of (FrameRow, rgb)); see the module docstring. `interp` reuses a method built by make_method.
    `io_queue` frames are decoded ahead in a background thread; `on_device` yields DeviceFrames (see generate)."""
    from ..common.device import pick_device, pick_dtype
    from ..common.stages import prefetched
    from ..video import open_video, probe

    info = info or probe(video_path, hash=True)
    if info.is_hdr and allow_hdr:
        warn(f"{video_path}: {info.transfer.upper()} HDR ({info.bit_depth}-bit): frames keep their {info.transfer} coding "
             f"and synthesize averages them in linear light with the {info.transfer} curve (--refuse-hdr to refuse)")
    if interp is None:
        dev = pick_device(device)
        interp = make_method(method, weights, dev, pick_dtype(dtype, dev), tile, tile_overlap, max_tile, flow_max_side,
                             motion=motion, trajectory=trajectory, motion_workers=motion_workers, ensemble=ensemble)
    factor = timegrid.factor_for(Fraction(info.fps_num, info.fps_den), fps)
    meta = _base_meta(info, interp, factor, fps, str(interp.device), str(interp.dtype).replace("torch.", ""))

    def frames():
        workers = getattr(interp, "motion_workers", 0)
        with open_video(video_path, vfr=vfr, allow_hdr=allow_hdr, info=info) as v:
            src, queue = iter(v), io_queue
            if v.resample:  # VFR: grid times between recorded frames are interpolated, not repeated (interp.retime);
                # that uses the method, so the frames are read in this thread (the method is not shared across threads)
                src = retime.retimed(v.timed(), v.fps, v.frame_count, retime.pair_interpolator(interp, scene_threshold),
                                     v.stats)
                queue = 0
            yield from generate(prefetched(src, queue), interp, factor, Fraction(info.fps_num, info.fps_den),
                                meta, has=has, scene_threshold=scene_threshold, lookahead=1 + workers,
                                on_device=on_device)
            meta["vfr_stats"] = dict(v.stats)

    return meta, frames()


def _identity(meta: dict) -> dict:
    keys = ("source_sha256", "factor", "method", "weights_sha256", "width", "height", "tool_version", "method_config",
            "format")
    return {k: meta.get(k) for k in keys}


def _clear(folder: Path) -> None:
    for p in folder.iterdir():
        if p.is_file() and (re.fullmatch(r"\d{6}\.png", p.name) or p.name in (FRAMES_CSV, CLIP_JSON, PARTIAL_JSON,
                                                                             FFV1_NAME)):
            p.unlink()


def interpolate_clip(video_path, out_root, fps=480, interp=None, progress=None, force: bool = False,
                     format: str = "png", **opts) -> dict:  # noqa: A002 - CLI name
    """Interpolate one clip into out_root/<clip_id>/ (resumable). Returns clip meta with 'status'."""
    from ..video import probe

    info = probe(video_path, hash=True)
    folder = Path(out_root) / clip_id_for(video_path)
    meta, _ = iter_interpolated(video_path, fps=fps, interp=interp, info=info, **opts)
    meta["format"] = format
    ident = _identity(meta)
    done = folder / CLIP_JSON
    if done.is_file() and not force:
        try:
            old = json.loads(done.read_text())
        except json.JSONDecodeError:
            old = {}
        if old.get("complete") and _identity(old) == ident:
            return dict(old, status="skipped")
    folder.mkdir(parents=True, exist_ok=True)
    clean_temp_files(folder)
    partial = folder / PARTIAL_JSON
    resume = False
    if partial.is_file() and not force and format == "png":
        try:
            resume = json.loads(partial.read_text()) == ident
        except json.JSONDecodeError:
            resume = False
    if not resume:
        _clear(folder)
        write_text(partial, json.dumps(ident, sort_keys=True) + "\n")
    writer = InterpClipWriter(folder, format=format)
    meta, frames = iter_interpolated(video_path, fps=fps, interp=interp, info=info, has=writer.has if resume else None,
                                     **opts)
    n_reused = 0
    try:
        with OrderedWriter(opts.get("io_queue", 4)) as encode:  # PNG / ffv1 encoding behind the computation, in order
            for row, rgb in frames:
                if rgb is None:
                    n_reused += 1
                encode.submit(writer.write, row, rgb)
                if progress is not None:
                    progress(1)
        meta["resumed_frames"] = n_reused
        meta["format"] = format
        writer.finish(meta)
    except BaseException:
        writer.abort()  # no partial ffv1 video is left; png frames stay for the resume
        raise
    partial.unlink(missing_ok=True)
    return dict(meta, n_frames=len(writer.rows), complete=True, status="resumed" if n_reused else "done")


def clip_job(path: str, out_root: str, fps: str, method_args: dict, clip_opts: dict, threads: int,
             progress: Callable[[int], None] | None = None) -> dict:
    """One clip in a worker process (`interpolate --jobs N`, or a Ray task with --cluster)."""
    import torch

    torch.set_num_threads(max(1, threads))
    interp = make_method(warn_fn=lambda msg: None, **method_args)
    return interpolate_clip(path, out_root, fps=timegrid.as_fraction(fps), interp=interp, progress=progress,
                            **clip_opts)


def expected_frames(info, factor: int) -> int:
    return max(0, info.frame_count - 1) * factor + 1 if info.frame_count else 0


__all__ = ["iter_interpolated", "interpolate_clip", "make_method", "generate", "clip_id_for", "FRAME_PATTERN"]
