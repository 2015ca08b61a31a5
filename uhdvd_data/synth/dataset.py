"""Per-clip driver: plan windows, read frames through InterpClip, write blur/sharp images atomically, return rows.

Resumable: a pair whose two images exist is not recomputed (images are written atomically, so an existing file is
complete; its hash is re-read). Every pixel is a deterministic function of the inputs and the configuration (noise
is seeded per pair), so an interrupted and resumed run gives byte-identical files.

Each clip output folder holds `synth.json` (the settings fingerprint, and once the clip is complete, its window list);
rerunning with different settings into the same folder is refused unless --overwrite is given.
"""

from __future__ import annotations

import dataclasses
import errno
import functools
import hashlib
import json
import os
import shutil
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .. import __version__
from ..common.atomic import write_bytes, write_text
from ..common.errors import UserError, file_error
from ..common.hashing import sha256_bytes, sha256_file
from ..common.images import encode_image
from ..interp.store import InterpClip
from . import quality_run
from .blur import WindowAverager, sharp_output
from .config import SynthConfig
from .crf import Codec, Transfer
from .output import clean_leftovers, finish_manifest, shard_manifest_path
from .realism import add_noise, jpeg_roundtrip, pair_rng, parse_noise
from .steer import steer
from .windows import Layout, Window, layout

if TYPE_CHECKING:
    from ..cluster.runner import ClusterRunner

MARKER = "synth.json"
IMAGE_PATTERN = "{:06d}"


@dataclass
class ClipPlan:
    clip_id: str
    split: str
    out_dir: Path
    windows: list[Window]
    layout: Layout
    meta: dict
    fingerprint: str
    source_folder: Path | None = None  # interp/<clip_id> (two-step path)
    extra: dict = field(default_factory=dict)
    cfg: SynthConfig | None = None  # the run's settings with this clip's curve settled (SynthConfig.for_clip)
    tf: Transfer | None = None  # that curve


def factor_of(meta: dict) -> int:
    f = meta.get("factor")
    if f:
        return int(f)
    return max(1, int(round(float(meta["out_fps"]) / float(Fraction(str(meta["src_fps"]))))))


def png_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from a PNG header without decoding it; None for other formats."""
    with open(path, "rb") as f:
        head = f.read(24)
    if len(head) == 24 and head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
        w, h = struct.unpack(">II", head[16:24])
        return int(w), int(h)
    return None


def fingerprint(cfg: SynthConfig, source_identity: dict) -> str:
    blob = json.dumps({"settings": cfg.pixel_settings(), "source": source_identity, "tool_version": __version__},
                      sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def pair_paths(plan: ClipPlan, w: Window, ext: str) -> tuple[Path, Path]:
    name = IMAGE_PATTERN.format(w.pair_idx) + "." + ext
    return plan.out_dir / "blur" / name, plan.out_dir / "sharp" / name


def prepare_out_dir(plan: ClipPlan, overwrite: bool) -> dict | None:
    """Check/create the clip's marker; returns the marker when it is already complete (nothing left to do)."""
    marker_path = plan.out_dir / MARKER
    if marker_path.is_file():
        try:
            marker = json.loads(marker_path.read_text())
        except json.JSONDecodeError:
            marker = {}
        if marker.get("fingerprint") == plan.fingerprint:
            return marker if marker.get("complete") else None
        if not overwrite:
            raise file_error(plan.out_dir, "made with different settings or inputs; use another --out, delete it, "
                                           "or pass --overwrite")
        for sub in ("blur", "sharp"):
            shutil.rmtree(plan.out_dir / sub, ignore_errors=True)
    elif plan.out_dir.exists() and any((plan.out_dir / s).exists() for s in ("blur", "sharp")) and not overwrite:
        raise file_error(plan.out_dir, "exists but was not made by synthesize (no synth.json); use another --out "
                                       "or pass --overwrite")
    write_marker(plan, complete=False)
    return None


def write_marker(plan: ClipPlan, complete: bool) -> None:
    marker = {"clip_id": plan.clip_id, "fingerprint": plan.fingerprint, "complete": complete}
    if complete:
        marker["windows"] = [[w.pair_idx, w.start, w.end, w.center, w.src_frame, w.segment] for w in plan.windows]
        marker["skipped_boundary"] = plan.layout.skipped_boundary
        marker["skipped_cut"] = plan.layout.skipped_cut
        marker["skipped_blur"] = plan.layout.skipped_blur
        marker.update(plan.extra)
    write_text(plan.out_dir / MARKER, json.dumps(marker, indent=1, sort_keys=True) + "\n")


def _write(path: Path, data: bytes) -> None:
    try:
        write_bytes(path, data)
    except OSError as e:
        if e.errno == errno.ENOSPC:
            raise file_error(path, "disk full (no space left on device); nothing half-written: free space and rerun "
                                   "the same command to resume") from e
        raise


class PairFinisher:
    """Turns a finished window average into files: noise -> encode -> JPEG round trip; sharp written before blur."""

    def __init__(self, cfg: SynthConfig, codec: Codec):
        self.cfg = cfg
        self.codec = codec
        self.noise = parse_noise(cfg.noise)
        self.ext = "." + cfg.image_format

    def __call__(self, plan: ClipPlan, w: Window, mean_linear: np.ndarray, sharp_frame: np.ndarray) -> tuple[str, str]:
        cfg = self.cfg
        if self.ext == ".jpg" and sharp_frame.dtype != np.uint8:
            raise UserError(f"{plan.clip_id}: --image-format jpg needs 8-bit frames (this clip is 16-bit; use png)")
        rng = pair_rng(cfg.seed, plan.clip_id, w.pair_idx)
        lin = add_noise(mean_linear, self.noise, rng)
        blur = jpeg_roundtrip(self.codec.encode(lin), cfg.jpeg_quality)
        sharp = sharp_output(self.codec, sharp_frame, cfg.saturation)
        blur_bytes = encode_image(blur, self.ext, cfg.quality)
        sharp_bytes = encode_image(sharp, self.ext, cfg.quality)
        blur_path, sharp_path = pair_paths(plan, w, cfg.image_format)
        _write(sharp_path, sharp_bytes)
        _write(blur_path, blur_bytes)
        return sha256_bytes(blur_bytes), sha256_bytes(sharp_bytes)


def make_row(plan: ClipPlan, cfg: SynthConfig, w: Window, hashes: tuple[str, str], width: int, height: int,
             bit_depth: int, blur_px: tuple[float, float] | None = None) -> dict:
    meta = plan.meta
    out_fps = float(meta["out_fps"])
    n = w.end - w.start + 1
    blur_path, sharp_path = pair_paths(plan, w, cfg.image_format)
    return {
        "clip_id": plan.clip_id, "split": plan.split, "pair_idx": w.pair_idx,
        "blur_path": str(blur_path), "sharp_path": str(sharp_path),
        "src_frame": w.src_frame, "window": n, "start_idx": w.start, "end_idx": w.end,
        "exposure_s": n / out_fps, "duty_cycle": n / factor_of(meta), "crf": cfg.crf_name,
        "width": width, "height": height, "bit_depth": bit_depth,
        "src_fps": meta.get("src_fps"), "out_fps": out_fps, "interp_method": meta.get("method"),
        "interp_weights_sha256": meta.get("weights_sha256"), "source_path": meta.get("source_path"),
        "source_sha256": meta.get("source_sha256"), "device_model": meta.get("device_model"),
        "noise": cfg.noise_canonical, "saturation": cfg.saturation, "seed": cfg.seed,
        "blur_sha256": hashes[0], "sharp_sha256": hashes[1], "tool_version": __version__,
        "segment": w.segment, "blur_px_p50": blur_px[0] if blur_px else None,
        "blur_px_p95": blur_px[1] if blur_px else None,
    }


# ---------------------------------------------------------------- two-step path (interp/ on disk)

def plan_clip(folder: Path, split: str, out_root: Path, cfg: SynthConfig) -> ClipPlan:
    clip = InterpClip(folder)
    lay = layout([r.src_index for r in clip.rows], [r.segment for r in clip.rows], cfg.window, cfg.center, cfg.stride)
    lay = steer(lay, cfg, clip.clip_id, functools.lru_cache(maxsize=32)(clip.read))
    clip.close()
    ident = {
        "clip_json_sha256": sha256_file(folder / "clip.json"),
        "frames_csv_sha256": sha256_file(folder / "frames.csv"),
    }
    cfg, tf = cfg.for_clip(clip.meta.get("transfer"))
    return ClipPlan(clip.clip_id, split, out_root / split / clip.clip_id, lay.windows, lay, clip.meta,
                    fingerprint(cfg, ident), source_folder=folder, cfg=cfg, tf=tf)


def check_frame_sizes(plan: ClipPlan) -> tuple[int, int]:
    """Read every needed frame's PNG header (ffv1 store: the video header, and that the last needed frame is there)
    up front, so a mismatched size or missing frame fails before anything is written."""
    clip_dir = plan.source_folder
    needed = sorted({i for w in plan.windows for i in range(w.start, w.end + 1)})
    expect = (plan.meta.get("width"), plan.meta.get("height"))
    if plan.meta.get("format") == "ffv1":
        with InterpClip(clip_dir) as clip:
            size = clip.check_video(needed[-1])
        if expect[0] and expect[1] and size != (int(expect[0]), int(expect[1])):
            raise file_error(clip.frame_path(0), f"video is {size[0]}x{size[1]} but clip.json says "
                                                 f"{expect[0]}x{expect[1]}")
        return size
    first = None
    for i in needed:
        p = clip_dir / f"{i:06d}.png"
        if not p.is_file():
            raise file_error(p, "missing interpolated frame (rerun interpolate)")
        size = png_size(p)
        if size is None:
            continue
        if first is None:
            first = size
            if expect[0] and expect[1] and size != (int(expect[0]), int(expect[1])):
                raise file_error(p, f"frame is {size[0]}x{size[1]} but clip.json says {expect[0]}x{expect[1]}")
        elif size != first:
            raise file_error(p, f"frame is {size[0]}x{size[1]}, unlike the clip's other frames ({first[0]}x{first[1]})")
    return first or (int(expect[0] or 0), int(expect[1] or 0))


def read_bgr(path: Path) -> np.ndarray:
    """Decode a PNG frame in the decoder's native BGR order (synthesis itself reads through InterpClip.read_bgr,
    which also serves ffv1 stores)."""
    from ..common.images import read_image_bgr

    return read_image_bgr(path)


def run_chunk(plan: ClipPlan, windows: Sequence[Window], cfg: SynthConfig, tf: Transfer,
              progress: Callable[[int], None] | None = None) -> list[dict]:
    """Synthesize (or reuse) the pairs of `windows` for one clip; returns their manifest rows."""
    from ..common.images import read_image
    from .blurpx import blur_px

    clip = InterpClip(plan.source_folder)
    results: dict[int, tuple[str, str]] = {}
    blur_of: dict[int, tuple[float, float]] = {}
    pending = []
    for w in windows:
        bp, sp = pair_paths(plan, w, cfg.image_format)
        if bp.is_file() and sp.is_file():
            results[w.pair_idx] = (sha256_file(bp), sha256_file(sp))
            blur_of[w.pair_idx] = blur_px(clip.read(w.start), clip.read(w.end))  # measured afresh (deterministic)
            if progress:
                progress(1)
        else:
            pending.append(w)
    uses: dict[int, int] = {}  # frame index -> pending windows it starts or ends (their frames are kept until used)
    for w in pending:
        for i in (w.start, w.end):
            uses[i] = uses.get(i, 0) + 1
    ends: dict[int, np.ndarray] = {}
    shape = None
    dtype = None
    if pending:
        avg = None
        finisher = None
        for i in sorted({i for w in pending for i in range(w.start, w.end + 1)}):
            frame = clip.read_bgr(i)  # png or ffv1 store; ffv1 decodes sequentially (indices increase)
            if shape is None:
                shape, dtype = frame.shape, frame.dtype
                codec = Codec(tf, dtype)
                avg = WindowAverager(codec, pending, cfg.saturation)
                finisher = PairFinisher(cfg, codec)
            elif frame.shape != shape or frame.dtype != dtype:
                raise file_error(clip.frame_path(i), f"frame is {frame.shape[1]}x{frame.shape[0]} {frame.dtype}, unlike "
                                                     f"the clip's other frames ({shape[1]}x{shape[0]} {dtype})")
            if i in uses:
                ends[i] = frame[..., ::-1]  # RGB view, kept until its windows are done
            for w, mean, sharp in avg.add(i, frame):
                # averaging is per channel, so it runs on the decoder's BGR order; flip views back to RGB here
                results[w.pair_idx] = finisher(plan, w, mean[..., ::-1], sharp[..., ::-1])
                blur_of[w.pair_idx] = blur_px(ends[w.start], ends[w.end])
                for j in (w.start, w.end):
                    uses[j] -= 1
                    if not uses[j]:
                        del ends[j]
                if progress:
                    progress(1)
    else:
        # everything exists: get the geometry from one image header
        frame = read_image(pair_paths(plan, windows[0], cfg.image_format)[1]) if windows else None
        if frame is not None:
            shape, dtype = frame.shape, frame.dtype
    clip.close()
    rows = []
    for w in windows:
        bits = 16 if dtype == np.uint16 else 8
        rows.append(make_row(plan, cfg, w, results[w.pair_idx], shape[1], shape[0], bits, blur_px=blur_of[w.pair_idx]))
    return rows


# ---------------------------------------------------------------- orchestration

CHUNK_PAIRS = 48
def assign(clip_ids: list[str], cfg: SynthConfig) -> dict[str, str]:
    from .splits import assign_splits, read_splits

    if cfg.splits_file:
        return read_splits(cfg.splits_file, clip_ids)
    return assign_splits(clip_ids, cfg.split_ratio, cfg.val_ratio, cfg.seed)


def no_window_error(cfg: SynthConfig, plans: Sequence[ClipPlan]) -> UserError:
    by_blur = sum(getattr(p.layout, "skipped_blur", 0) for p in plans if p.layout is not None)
    if by_blur:
        lo, hi = cfg.blur_px
        return UserError(f"--blur-px {lo:g}:{hi:g}: no window size gives a median blur in that range in any of the "
                         f"{by_blur} place(s) a window fits (blur_px_p50 of each pair is in the manifest when run "
                         f"without --blur-px); widen the range or allow more sizes with --window A:B")
    longest = max((p.layout.longest_segment for p in plans), default=0)
    how = (f" (windows centred on captured frames need {cfg.window // 2} frames either side within one scene segment)"
           if cfg.center == "captured" else "")
    return UserError(f"--window {cfg.window} does not fit in any clip: the longest scene segment has {longest} frames"
                     f"{how}; use a smaller --window")


def plan_all(folders: list[Path], splits: dict[str, str], out_root: Path, cfg: SynthConfig
             ) -> tuple[SynthConfig, list[ClipPlan], bool]:
    """(settings with --center settled, a plan per clip, whether `auto` fell back to tiling): `auto` centres windows
    on captured frames, and tiles the segments when that fits no window in any clip (clips too short)."""
    auto = cfg.center == "auto"
    cfg = dataclasses.replace(cfg, center="captured" if auto else cfg.center)  # the caller's cfg is left as given
    plans = [plan_clip(f, splits[f.name], out_root, cfg) for f in folders]
    if not auto or any(p.windows or getattr(p.layout, "skipped_blur", 0) for p in plans):
        return cfg, plans, False
    cfg = dataclasses.replace(cfg, center="any")
    return cfg, [plan_clip(f, splits[f.name], out_root, cfg) for f in folders], True


def synthesize_dataset(interp_root: os.PathLike | str = "interp", out_root: os.PathLike | str = "dataset",
                       manifest: os.PathLike | str = "manifests/4krd.csv", cfg: SynthConfig | None = None,
                       jobs: int = 1, shard: tuple[int, int] | None = None, overwrite: bool = False,
                       show_progress: bool = True, cluster: ClusterRunner | None = None) -> dict:
    """The whole `synthesize` command. Returns a summary dict (manifest path, pairs, skipped, ...). With `cluster`
    (--cluster) the chunks run as Ray tasks instead of --jobs workers, and clips that failed there are left out."""
    from tqdm import tqdm

    from ..interp.store import find_clips
    from .splits import shard_clips

    cfg = cfg or SynthConfig()
    cfg.prepare()  # options checked before the folders are looked at; each clip's curve is settled by plan_clip
    interp_root, out_root, manifest = Path(interp_root), Path(out_root), Path(manifest)
    if not interp_root.is_dir():
        raise file_error(interp_root, "no such folder (run `uhdvd-data interpolate raw/ --fps 480` first)")
    folders = find_clips(interp_root)
    unfinished = sorted(p.name for p in interp_root.iterdir() if p.is_dir() and not (p / "clip.json").is_file())
    if not folders:
        more = f"; {len(unfinished)} unfinished clip folder(s): rerun interpolate" if unfinished else ""
        raise file_error(interp_root, "no interpolated clips in it (run `uhdvd-data interpolate raw/ --fps 480` "
                                      f"first{more})")
    all_ids = [f.name for f in folders]
    splits = assign(all_ids, cfg)
    mine = set(shard_clips(all_ids, shard))
    # ---- plan and validate everything before writing anything
    cfg, plans, fallback = plan_all([f for f in folders if f.name in mine], splits, out_root, cfg)
    if not any(p.windows for p in plans):
        raise no_window_error(cfg, plans)
    sizes = {}
    for p in plans:
        if p.windows:
            sizes[p.clip_id] = check_frame_sizes(p)
            bits = int(p.meta.get("bit_depth") or 8)
            if bits > 8 and (cfg.image_format == "jpg" or cfg.jpeg_quality is not None):
                raise file_error(p.source_folder, "16-bit clip: --image-format jpg / --jpeg-quality need 8-bit frames")
    manifest_out = shard_manifest_path(manifest, shard)
    clean_leftovers([p.out_dir for p in plans], manifest_out)
    done_markers = {p.clip_id: prepare_out_dir(p, overwrite) for p in plans if p.windows}
    # ---- quality first (synth.quality_run): pairs a filter drops are never averaged
    quality_run.quality_pass(plans, cfg, done_markers, jobs, show_progress, cluster=cluster)
    drops = {p.clip_id: quality_run.dropped(p, cfg) for p in plans}
    # ---- work list: chunks of consecutive windows
    tasks = []
    for p in plans:
        kept = [w for w in p.windows if w.pair_idx not in drops[p.clip_id]]
        for k in range(0, len(kept), CHUNK_PAIRS):
            tasks.append((p, kept[k:k + CHUNK_PAIRS]))
    total = sum(len(ws) for _, ws in tasks)
    rows: list[dict] = []
    bar = tqdm(total=total, desc="synthesize", unit="pair", disable=not show_progress or cluster is not None,
               dynamic_ncols=True)
    try:
        if cluster is not None:  # one Ray task per chunk; a failed clip's rows do not come back
            calls = [(p.clip_id, (p, ws, p.cfg, p.tf)) for p, ws in tasks]
            for _, out in cluster.run(run_chunk, calls, desc="synthesize", unit="pair", total=total):
                rows.extend(out)
        elif jobs == 1 or len(tasks) <= 1:
            for p, ws in tasks:
                rows.extend(run_chunk(p, ws, p.cfg, p.tf, progress=bar.update))
        else:
            from joblib import Parallel, delayed

            par = Parallel(n_jobs=jobs, return_as="generator_unordered")
            for out in par(delayed(run_chunk)(p, ws, p.cfg, p.tf) for p, ws in tasks):
                rows.extend(out)
                bar.update(len(out))
    finally:
        bar.close()
    if cluster is not None:
        plans = cluster.keep(plans, key=lambda p: p.clip_id)
    for p in plans:
        old = done_markers.get(p.clip_id) or {}
        new_quality = cfg.measure_quality and old.get("quality") != p.extra.get("quality")
        if p.windows and (not old.get("complete") or new_quality):
            write_marker(p, complete=True)
    rows, qinfo = quality_run.finish(plans, rows, cfg)
    skipped = finish_manifest(manifest_out, rows, plans, "uhdvd-data synthesize",
                              dict(cfg.as_dict(), interp=str(interp_root), out=str(out_root)), shard, qinfo)
    return {"manifest": manifest_out, "pairs": len(rows), "skipped": skipped, "clips": len(plans),
            "unfinished": unfinished, "quality": qinfo, "center": cfg.center, "center_fallback": fallback}
