"""Dataset outputs: manifest CSV + JSON sidecar (with column definitions), shard manifest names, leftovers of
interrupted atomic writes. Shared by `synthesize` (synth.dataset) and the fused `build` (synth.fused)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from .. import __version__

DEFINITIONS = {
    "exposure_s": "window / out_fps: the simulated exposure time of the blurry frame",
    "duty_cycle": "window / factor: frames averaged per source frame interval (factor = out_fps / src_fps); "
                  "1.0 means the exposure spans the whole interval, < 1 leaves gaps between exposures, > 1 overlaps",
    "src_frame": "captured source frame index at the window centre (empty when the centre is an interpolated frame)",
    "start_idx/end_idx": "first/last interpolated frame index averaged (inclusive)",
    "pair_idx": "0.. within a clip, in time order; consecutive pair_idx are consecutive windows",
    "segment": "scene segment of the window (from interp frames.csv); consecutive pairs with different segments "
               "straddle a scene cut: a video model should reset its recurrent state there",
    "check_psnr/check_ssim": "interpolation self-check: the sharp target (captured frame i) predicted from captured "
                             "frames i-1 and i+1 at t=1/2 by the run's interpolation method, vs frame i (RGB PSNR in "
                             "dB, Gaussian SSIM); empty at clip ends, scene cuts, interpolated centres, --no-quality",
    "blur_px_p50/blur_px_p95": "blur length in pixels: median / 95th percentile over the frame of how far a scene "
                               "point travels between the window's first and last frame (DIS flow at <= 640 px, "
                               "scaled to full-resolution pixels)",
    "target_sharpness": "variance of the Laplacian of the sharp target's luma / the clip's median (1.0 = typical for "
                        "the clip); target_sharpness_raw is the variance itself (8-bit units squared)",
}


def shard_manifest_path(manifest: Path, shard: tuple[int, int] | None) -> Path:
    if shard is None:
        return manifest
    i, n = shard
    return manifest.with_name(f"{manifest.stem}.shard-{i}-of-{n}{manifest.suffix}")


def relativize(rows: list[dict], manifest: Path) -> None:
    base = manifest.parent.resolve()
    for r in rows:
        for col in ("blur_path", "sharp_path"):
            r[col] = Path(os.path.relpath(Path(r[col]).resolve(), base)).as_posix()


def clean_leftovers(out_dirs: Sequence[Path], manifest_out: Path) -> int:
    """Remove temp files of interrupted atomic writes, only in this run's clip folders and for this manifest
    (other shards may be writing into the same dataset/ and manifests/ folders right now)."""
    from ..common.atomic import TMP_PREFIX, clean_temp_files

    n = sum(clean_temp_files(d) for d in out_dirs if d.exists())
    for name in (manifest_out.name, manifest_out.with_suffix(".json").name):
        for p in manifest_out.parent.glob(f"{TMP_PREFIX}{name}.*"):
            p.unlink(missing_ok=True)
            n += 1
    return n


def finish_manifest(manifest_out: Path, rows: list[dict], plans: list, tool: str, config: dict, shard,
                    quality: dict | None = None) -> dict:
    """Make row paths relative to the manifest, write it with its JSON sidecar; returns the skip counts (with the
    pairs dropped by the quality filters: low_check_psnr, low_sharpness; `quality` from synth.quality_run.finish)."""
    relativize(rows, manifest_out)
    quality = dict(quality or {})
    dropped = quality.pop("dropped", {})
    skipped = {
        "boundary": sum(p.layout.skipped_boundary for p in plans),
        "cut": sum(p.layout.skipped_cut for p in plans),
        "blur_px": sum(getattr(p.layout, "skipped_blur", 0) for p in plans),
        "clips_without_windows": sorted(p.clip_id for p in plans if not p.windows),
        "low_check_psnr": int(dropped.get("check_psnr", 0)),
        "low_sharpness": int(dropped.get("sharpness", 0)),
    }
    sidecar = {
        "tool": tool,
        "tool_version": __version__,
        "config": config,
        "shard": None if shard is None else f"{shard[0]}/{shard[1]}",
        "clips": sorted(p.clip_id for p in plans),
        "splits": {p.clip_id: p.split for p in sorted(plans, key=lambda q: q.clip_id)},
        "skipped": skipped,
        "quality": quality or None,
        "definitions": DEFINITIONS,
    }
    from .manifest import write_manifest

    write_manifest(manifest_out, rows, sidecar)
    return skipped
