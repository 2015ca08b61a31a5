"""Fused `build`: stream interpolated frames straight into the window averager; only blur/sharp reach the disk.

A ring buffer holds the last `window` frames (as code values, i.e. the same bytes the two-step path would store in
interp/); when it holds a valid window the frames are linearised and summed in index order from zero, exactly as the
two-step `WindowAverager` does, so both paths give bit-identical images and identical manifests.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..common.errors import UserError, file_error
from ..common.hashing import sha256_file
from . import quality_run
from .blur import apply_saturation
from .blurpx import blur_px
from .crf import CRF_AUTO, Codec
from .dataset import (
    ClipPlan,
    PairFinisher,
    SynthConfig,
    assign,
    fingerprint,
    make_row,
    no_window_error,
    pair_paths,
    prepare_out_dir,
    write_marker,
)
from .output import clean_leftovers, finish_manifest, shard_manifest_path
from .steer import choose_window
from .windows import Window, layout

if TYPE_CHECKING:
    from ..cluster.runner import ClusterRunner

SPEED_ONLY = ("device", "motion_workers", "io_queue")  # settings that change the speed, never the pairs


def clip_id_for(path: Path) -> str:
    try:
        from ..interp import pipeline

        fn = getattr(pipeline, "clip_id_for", None) or getattr(pipeline, "clip_id", None)
        if callable(fn):
            return fn(path)
    except ImportError:
        pass
    return re.sub(r"[^A-Za-z0-9._-]+", "_", Path(path).stem).strip("._") or "clip"


class StreamWindows:
    """Decides, frame by frame, which window ends at the newest frame (same rules as windows.layout)."""

    def __init__(self, window: int, center: str, stride: int | None):
        self.window, self.center, self.half = window, center, window // 2
        self.step = stride or (1 if center == "captured" else window)
        self.ring: deque = deque(maxlen=window)  # (row, rgb, captured_rank or None)
        self.seg_start = 0
        self.prev_seg = None
        self.n_captured = 0
        self.emitted = 0

    def push(self, row, rgb) -> Window | None:
        if row.segment != self.prev_seg:
            self.seg_start, self.prev_seg = row.index, row.segment
        rank = None
        if row.src_index is not None:
            rank, self.n_captured = self.n_captured, self.n_captured + 1
        self.ring.append((row, rgb, rank))
        if len(self.ring) < self.window:
            return None
        start = self.ring[0][0].index
        if start < self.seg_start or row.segment < 0:  # crosses a cut, or lies in frames held across one
            return None
        crow, _, crank = self.ring[self.half]
        if self.center == "captured":
            ok = crank is not None and crank % self.step == 0
        else:
            ok = (start - self.seg_start) % self.step == 0
        if not ok:
            return None
        w = Window(self.emitted, start, row.index, crow.index, crow.src_index, crow.segment)
        self.emitted += 1
        return w

    def frames_of(self, w: Window) -> list:
        """The ring's frames that window `w` averages (all of them unless --window A:B shrank it)."""
        first = self.ring[0][0].index
        return [f for _, f, _ in list(self.ring)[w.start - first:w.end - first + 1]]

    def average(self, codec: Codec, saturation: float | None, w: Window) -> tuple[np.ndarray, np.ndarray]:
        """(mean in linear light, centre frame) of window `w`'s frames, on the host. Frames on the interpolation device
        (DeviceFrame) are averaged there with the same table and float operations in the same order: bit-identical,
        and only the mean and the centre frame cross to the host."""
        frames = self.frames_of(w)
        centre = self.ring[self.half][1]
        if not isinstance(frames[0], np.ndarray):
            return device_average([f.codes for f in frames], codec, saturation), centre.numpy()
        acc = np.zeros(frames[0].shape, dtype=codec.acc_dtype)
        for rgb in frames:
            np.add(acc, apply_saturation(codec.to_linear(rgb), saturation), out=acc)
        acc *= acc.dtype.type(1.0 / len(frames))
        return acc, centre


def device_average(frames: list, codec: Codec, saturation: float | None) -> np.ndarray:
    """The window mean of code-value tensors on their device, as StreamWindows.average computes it on the host."""
    import torch

    dev = frames[0].device
    dt = torch.float32 if codec.acc_dtype == np.float32 else torch.float64
    table = torch.from_numpy(codec.table).to(dev)
    acc = torch.zeros(tuple(frames[0].shape), dtype=dt, device=dev)
    for codes in frames:
        lin = table[codes.long()]
        if saturation is not None and saturation < 1.0:
            lin = torch.minimum(lin, torch.tensor(codec.acc_dtype.type(saturation), device=dev)) * \
                torch.tensor(codec.acc_dtype.type(1.0 / saturation), device=dev)
        acc.add_(lin)
    acc.mul_(torch.tensor(codec.acc_dtype.type(1.0 / len(frames)), device=dev))
    return acc.cpu().numpy()


def _reuse_complete(plan: ClipPlan, cfg: SynthConfig) -> list[dict] | None:
    """Rows of a clip finished by an earlier run with the same inputs/settings (no interpolation needed), else None."""
    import json

    from .windows import Layout

    try:
        marker = json.loads((plan.out_dir / "synth.json").read_text())
    except (OSError, ValueError):
        return None
    if marker.get("fingerprint") != plan.fingerprint or not marker.get("complete") or "meta" not in marker:
        return None
    if cfg.measure_quality and quality_run.stored(marker) is None:  # --no-quality before: stream again to measure
        return None
    if "blur_px" not in marker:  # made before blur lengths were measured: stream again
        return None
    blur_of = {int(k): tuple(v) for k, v in marker["blur_px"].items()}
    plan.extra = {k: marker[k] for k in ("meta", "geometry", "quality", "blur_px") if k in marker}
    drops = quality_run.dropped(plan, cfg)  # their images were removed: not needed
    plan.meta = marker["meta"]
    plan.windows = [Window(*w) for w in marker["windows"]]
    plan.layout = Layout(plan.windows, marker["skipped_boundary"], marker["skipped_cut"],
                         skipped_blur=marker.get("skipped_blur", 0))
    width, height, bits = marker["geometry"]
    rows = []
    for w in (w for w in plan.windows if w.pair_idx not in drops):
        bp, sp = pair_paths(plan, w, cfg.image_format)
        if not (bp.is_file() and sp.is_file()):
            return None
        rows.append(make_row(plan, cfg, w, (sha256_file(bp), sha256_file(sp)), width, height, bits,
                             blur_px=blur_of.get(w.pair_idx)))
    return rows


def build_clip(video: Path, split: str, out_root: Path, cfg: SynthConfig, tf, interp_kwargs: dict,
               overwrite: bool, show_progress: bool, interp_of=None,
               progress: Callable[[int], None] | None = None) -> tuple[ClipPlan, list[dict]]:
    from tqdm import tqdm

    from ..interp.pipeline import iter_interpolated

    clip_id = clip_id_for(video)
    ident = {"video_sha256": sha256_file(video),
             **{k: (str(v) if v is not None else None) for k, v in sorted(interp_kwargs.items()) if k not in SPEED_ONLY}}
    plan = ClipPlan(clip_id, split, out_root / split / clip_id, [], None, {}, fingerprint(cfg, ident))
    done = _reuse_complete(plan, cfg)
    if done is not None:
        return plan, done
    interp = (interp_of or quality_run.lazy_method(interp_kwargs))()  # one method: the stream and the self-check
    meta, frames = iter_interpolated(video, on_device=True, interp=interp, **interp_kwargs)  # frames stay on device
    sq = quality_run.StreamQuality(interp, cfg.window) if cfg.measure_quality else None
    plan.meta = dict(meta)
    prepare_out_dir(plan, overwrite)
    sw = StreamWindows(cfg.window, cfg.center, cfg.stride)
    codec = finisher = None
    shape = dtype = None
    src_index, seg_ids = [], []
    results: dict[int, tuple[str, str]] = {}
    blur_of: dict[int, tuple[float, float]] = {}
    laid: list[Window] = []  # windows at the full --window size, as windows.layout places them
    emitted: list[Window] = []  # the windows used (--window A:B / --blur-px choose their size)
    total = meta.get("n_frames")
    for row, rgb in tqdm(frames, desc=f"build {clip_id}", unit="frame", total=total, disable=not show_progress):
        if progress is not None:
            progress(1)
        if codec is None:
            shape, dtype = rgb.shape, rgb.dtype
            codec = Codec(tf, dtype)
            finisher = PairFinisher(cfg, codec)
            if dtype != np.uint8 and (cfg.image_format == "jpg" or cfg.jpeg_quality is not None):
                raise file_error(video, "16-bit clip: --image-format jpg / --jpeg-quality need 8-bit frames")
        elif rgb.shape != shape:
            raise file_error(video, f"interpolated frame {row.index} is {rgb.shape[1]}x{rgb.shape[0]}, unlike the "
                                    f"clip's other frames ({shape[1]}x{shape[0]})")
        if row.index != len(src_index):
            raise UserError(f"{video}: interpolated frames arrived out of order ({row.index} after {len(src_index) - 1})")
        src_index.append(row.src_index)
        seg_ids.append(row.segment)
        if sq:
            sq.push(row, rgb)
        w = sw.push(row, rgb)
        if w is None:
            continue
        laid.append(w)
        first_index = sw.ring[0][0].index
        w = choose_window(w, cfg, clip_id, lambda i, f0=first_index: quality_run.host(sw.ring[i - f0][1]))
        if w is None:  # --blur-px: no size fits
            continue
        emitted.append(w)
        if sq:
            sq.target(w, sw.ring[sw.half][1])
        own = sw.frames_of(w)
        first, last = (quality_run.host(f) for f in (own[0], own[-1]))
        blur_of[w.pair_idx] = blur_px(first, last)  # the window's ends: two copies to the host per pair
        bp, sp = pair_paths(plan, w, cfg.image_format)
        if bp.is_file() and sp.is_file():
            results[w.pair_idx] = (sha256_file(bp), sha256_file(sp))
        else:
            mean, sharp = sw.average(codec, cfg.saturation, w)
            results[w.pair_idx] = finisher(plan, w, mean, sharp)
    plan.meta = dict(meta)  # the interpolator completes meta (segments, ...) once the stream is exhausted
    lay = layout(src_index, seg_ids, cfg.window, cfg.center, cfg.stride)
    if lay.windows != laid:  # the two paths must agree on the layout
        raise RuntimeError(f"{clip_id}: streaming window layout differs from windows.layout")
    lay = dataclasses.replace(lay, windows=emitted, skipped_blur=len(laid) - len(emitted))
    plan.windows, plan.layout = lay.windows, lay
    bits = 16 if dtype == np.uint16 else 8
    if lay.windows:
        plan.extra = {"meta": plan.meta, "geometry": [shape[1], shape[0], bits],
                      **({"quality": sq.finish()} if sq else {}), "blur_px": {str(k): v for k, v in blur_of.items()}}
        write_marker(plan, complete=True)
    rows = [make_row(plan, cfg, w, results[w.pair_idx], shape[1], shape[0], bits, blur_px=blur_of[w.pair_idx])
            for w in lay.windows]
    return plan, rows


def _transfers(videos: dict[str, Path], allow_hdr: bool = True) -> dict[str, str]:
    """Clip id -> recorded transfer of each video (a header probe; an unreadable clip, or an HDR one that
    --refuse-hdr will refuse, is left out here and fails with its own error where it is opened)."""
    from ..video import probe
    from ..video.colour import HDR_TRANSFERS

    out = {}
    for cid, v in videos.items():
        try:
            t = probe(v, hash=False).transfer
        except UserError:
            continue
        if allow_hdr or t not in HDR_TRANSFERS:
            out[cid] = t
    return out


def build_dataset(videos: list[os.PathLike | str], interp_kwargs: dict, out_root: os.PathLike | str = "dataset",
                  manifest: os.PathLike | str = "manifests/4krd.csv", cfg: SynthConfig | None = None,
                  shard: tuple[int, int] | None = None, overwrite: bool = False, show_progress: bool = True,
                  cluster: ClusterRunner | None = None) -> dict:
    """The whole `build` command (one build_clip per clip; with `cluster` (--cluster) one Ray task per clip, and
    clips that failed there are left out). Returns a summary dict (manifest path, pairs, skipped, ...)."""
    from .splits import shard_clips

    cfg = cfg or SynthConfig()
    cfg.prepare()  # options checked first; each clip's curve is settled once its transfer is known
    if cfg.center == "auto":  # streamed: there is no second layout pass to fall back to tiling
        cfg = dataclasses.replace(cfg, center="captured")
    out_root, manifest = Path(out_root), Path(manifest)
    videos = [Path(v) for v in videos]
    ids = [clip_id_for(v) for v in videos]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise UserError(f"several videos map to the same clip id {dup[0]!r}; rename them")
    by_id = dict(zip(ids, videos))
    splits = assign(ids, cfg)
    manifest_out = shard_manifest_path(manifest, shard)
    mine = shard_clips(ids, shard)
    transfers = (_transfers({cid: by_id[cid] for cid in mine}, interp_kwargs.get("allow_hdr", True))
                 if cfg.crf == CRF_AUTO else {})
    clip_cfg = {cid: cfg.for_clip(transfers.get(cid)) for cid in mine}  # (settings with the clip's curve, curve)
    clean_leftovers([out_root / splits[c] / c for c in mine], manifest_out)
    plans, rows = [], []
    if cluster is None:
        interp_of = quality_run.lazy_method(interp_kwargs)
        done = ((0, build_clip(by_id[cid], splits[cid], out_root, *clip_cfg[cid], interp_kwargs, overwrite,
                               show_progress, interp_of)) for cid in mine)
    else:  # one Ray task per clip, on the device --device / --gpus-per-task give (never part of the outputs)
        import torch

        kw = dict(interp_kwargs, device=cluster.spec.device(interp_kwargs.get("device"), torch.cuda.is_available()))
        calls = [(cid, (by_id[cid], splits[cid], out_root, *clip_cfg[cid], kw, overwrite, False)) for cid in mine]
        done = cluster.run(build_clip, calls, desc="build", unit="frame", gpus=cluster.gpus(kw["device"].startswith("cuda")))
    for _, (plan, r) in done:
        plans.append(plan)
        rows.extend(r)
    if cluster is not None:
        cluster.keep(mine, key=str)  # ClipsFailed when every clip failed
    if not rows:
        raise no_window_error(cfg, plans)
    config = dict(cfg.as_dict(), interp={k: (None if v is None else str(v)) for k, v in interp_kwargs.items()
                                         if k not in SPEED_ONLY},
                  out=str(out_root))
    rows, qinfo = quality_run.finish(plans, rows, cfg)  # quality columns; dropped pairs left out, images removed
    skipped = finish_manifest(manifest_out, rows, plans, "uhdvd-data build", config, shard, qinfo)
    return {"manifest": manifest_out, "pairs": len(rows), "skipped": skipped, "clips": len(plans), "quality": qinfo}
