"""Runs the per-pair quality measurements (synth.quality) inside `synthesize` and `build`, applies the filters
(--min-check-psnr, --min-sharpness) and fills the manifest columns.

Per clip the raw results live in `plan.extra["quality"]` = {"check": CHECK, "pairs": [[pair_idx, check_psnr,
check_ssim, sharpness_raw, empty_reason], ...]} (None for empty values), written into the clip's synth.json once the
clip is complete. A rerun takes them from a complete clip's synth.json when they were measured the same way (`stored`;
no interpolation); an unfinished clip recomputes them all (they are deterministic, so a resumed run writes what a
fresh one does). `target_sharpness` (raw / the clip's median) and the
filters are applied per clip at the end (`dropped`, `finish`).

- synthesize: `quality_pass` runs before the averaging, chunk by chunk (in the --jobs workers like the pairs), with
  the interpolation method rebuilt from each clip's clip.json (`method_from_meta`): pairs a filter drops are never
  averaged or written.
- build: `StreamQuality` follows the stream with the very method object build interpolates with (shallow copies
  with their own motion caches, no worker threads); dropped pairs are written as they stream by and removed at the
  end (a filter needs the clip's median sharpness, known only then).
Either way a dropped pair's images are not in the dataset, the manifest lists the kept pairs with their pair_idx
unchanged (a gap in pair_idx = not consecutive), and the sidecar counts the drops by reason.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import quality as q
from . import quality_methods as qm
from .quality_methods import lazy_method  # noqa: F401  (build's method: fused.py calls quality_run.lazy_method)

if TYPE_CHECKING:
    from ..interp.store import FrameRow
    from .config import SynthConfig
    from .dataset import ClipPlan
    from .windows import Window

CHUNK = 48
CHECK = (f"frame i predicted from captured frames i-1, i+1 at t=1/2 with the run's method (i-3, i+3 as neighbours), "
         f"all area-downscaled to half the long side (within [{q.CHECK_MIN_SIDE}, {q.CHECK_MAX_SIDE}] px); RGB PSNR "
         f"(capped at {q.PSNR_CAP:g} dB) and Gaussian SSIM (sigma 1.5) with the bit depth's data range")


def host(frame: Any) -> np.ndarray:
    """A streamed frame as a host array (build may stream DeviceFrames: code values on the interpolation device)."""
    return frame if isinstance(frame, np.ndarray) else frame.numpy()


class Checker:
    """The self-check with one interpolation method (None: every check is empty, reason "no_method"). Two shallow
    copies of it (even and odd centres) keep their own motion caches and no motion threads: the checks of centres i
    and i+2 share the motions of (i-1, i+1) and (i+1, i+3), so each check estimates one new pair motion, and the
    caller's own cache is left alone."""

    def __init__(self, method: Any):
        self.method = method
        self._copies: dict[int, Any] = {}

    def _copy(self, i: int) -> Any:
        m = self._copies.get(i % 2)
        if m is None:
            m = copy.copy(self.method)
            if isinstance(getattr(m, "_cache", None), list):
                m._cache = []
            for attr, value in (("_pool", None), ("motion_workers", 0)):
                if hasattr(m, attr):
                    setattr(m, attr, value)
            self._copies[i % 2] = m
        return m

    def run(self, i: int, frame_of: Callable[[int], np.ndarray], segment_of: Callable[[int], int | None]
            ) -> tuple[float | None, float | None, str | None]:
        """(check_psnr, check_ssim, None) for captured frame i, or (None, None, reason)."""
        if self.method is None:
            return None, None, "no_method"
        nb, reason = q.neighbours(i, segment_of)
        if nb is None:
            return None, None, reason
        before, a, b, after = nb
        p, s = q.self_check(self._copy(i), frame_of(a), frame_of(b), frame_of(i),
                            None if before is None else frame_of(before), None if after is None else frame_of(after))
        return p, s, None


# ---------------------------------------------------------------- synthesize: before the averaging

def chunk_quality(folder: Path, windows: Sequence[Window], weights: str | None) -> list[list]:
    """Quality rows of `windows` of the interpolated clip in `folder` (one chunk; any worker process)."""
    from ..interp.store import InterpClip

    clip = InterpClip(folder)
    try:
        index_of = {r.src_index: r.index for r in clip.rows if r.src_index is not None}
        segment = {s: clip.rows[k].segment for s, k in index_of.items()}
        small: dict[int, np.ndarray] = {}

        def frame_of(j: int) -> np.ndarray:
            if j not in small:
                small[j] = q.downscale(clip.read(index_of[j]))
            return small[j]

        checker = None
        out = []
        for w in windows:
            centre = clip.read(w.center)
            raw = q.sharpness(centre)
            if w.src_frame is None:
                out.append([w.pair_idx, None, None, raw, "not_captured"])
                continue
            for j in [j for j in small if j < w.src_frame - 3]:
                del small[j]
            small.setdefault(w.src_frame, q.downscale(centre))
            checker = checker or Checker(qm.method_from_meta(clip.meta, weights))
            p, s, reason = checker.run(w.src_frame, frame_of, segment.get)
            out.append([w.pair_idx, p, s, raw, reason])
    finally:
        getattr(clip, "close", lambda: None)()
    return out


def quality_pass(plans: Sequence[ClipPlan], cfg: SynthConfig, markers: dict, jobs: int = 1, show_progress: bool = True,
                 cluster=None) -> None:
    """Fill plan.extra["quality"] of every plan with windows: from its complete synth.json, else computed (with
    `cluster`, a cluster.runner.ClusterRunner: as Ray tasks; a clip that fails there is in cluster.failed)."""
    from tqdm import tqdm

    if not cfg.measure_quality:
        return
    tasks = []
    for p in plans:
        old = markers.get(p.clip_id) or {}
        if not p.windows:
            continue
        if old.get("complete") and stored(old) is not None:
            p.extra["quality"] = old["quality"]
            continue
        qm.method_from_meta(p.meta, cfg.weights)  # fails here, before any pair is written (e.g. weights not found)
        tasks += [(p, p.windows[k:k + CHUNK]) for k in range(0, len(p.windows), CHUNK)]
    found: dict[str, list] = {}
    bar = tqdm(total=sum(len(ws) for _, ws in tasks), desc="quality", unit="pair",
               disable=not show_progress or not tasks or cluster is not None, dynamic_ncols=True)
    try:
        if cluster is not None:  # a task asks for a GPU when the clip was interpolated on CUDA and this machine has one
            import torch

            cuda = torch.cuda.is_available()
            gpus = [cluster.gpus(True) if cuda and str(p.meta.get("device") or "").startswith("cuda") else 0.0
                    for p, _ in tasks]
            done = cluster.run(chunk_quality, [(p.clip_id, (p.source_folder, ws, cfg.weights)) for p, ws in tasks],
                               desc="quality", unit="pair", total=bar.total, gpus=gpus, progress=False, count=len)
            outs = ((tasks[i][0], out) for i, out in done)
        elif jobs == 1 or len(tasks) <= 1:
            outs = ((p, chunk_quality(p.source_folder, ws, cfg.weights)) for p, ws in tasks)
        else:
            from joblib import Parallel, delayed

            par = Parallel(n_jobs=jobs, return_as="generator")
            outs = zip((p for p, _ in tasks), par(delayed(chunk_quality)(p.source_folder, ws, cfg.weights)
                                                  for p, ws in tasks))
        for p, out in outs:
            found.setdefault(p.clip_id, []).extend(out)
            bar.update(len(out))
    finally:
        bar.close()
    for p in plans:
        if p.clip_id in found:
            p.extra["quality"] = {"check": CHECK, "pairs": sorted(found[p.clip_id], key=lambda r: r[0])}


# ---------------------------------------------------------------- build: along the stream

class StreamQuality:
    """Follows build's frame stream: keeps downscaled copies of the last captured frames and the sharpness of each,
    and runs the self-check of a pair's centre once its neighbours have arrived (or a cut / the clip's end came)."""

    def __init__(self, method: Any, window: int):
        self.checker = Checker(method)
        self.keep = window + 8  # captured frames held: a centre's window ends <= window//2 frames after it
        self.frames: dict[int, tuple[np.ndarray, int, float]] = {}  # src -> (downscaled, segment, sharpness)
        self.pending: dict[int, int] = {}  # centre src -> pair_idx
        self.out: dict[int, list] = {}
        self.latest: int | None = None

    def push(self, row: FrameRow, frame: Any) -> None:
        """Every streamed (row, frame), before the window it completes is emitted."""
        if row.src_index is None:
            return
        rgb = host(frame)
        self.frames[row.src_index] = (q.downscale(rgb), row.segment, q.sharpness(rgb))
        self.latest = row.src_index
        self._resolve(final=False)
        for j in [j for j in self.frames if j <= self.latest - self.keep and j + 3 < min(self.pending, default=j + 4)]:
            del self.frames[j]

    def target(self, w: Window, centre: Any) -> None:
        """A pair's window as it is emitted, with its centre frame."""
        if w.src_frame is None:
            self.out[w.pair_idx] = [w.pair_idx, None, None, q.sharpness(host(centre)), "not_captured"]
            return
        self.pending[w.src_frame] = w.pair_idx
        self._resolve(final=False)

    def _resolve(self, final: bool) -> None:
        for i in sorted(self.pending):
            seg = self.frames[i][1]
            if not final and self.latest < i + 3 and self.frames[self.latest][1] == seg:
                return
            pair_idx = self.pending.pop(i)
            p, s, reason = self.checker.run(i, lambda j: self.frames[j][0],
                                            lambda j: self.frames[j][1] if j in self.frames else None)
            self.out[pair_idx] = [pair_idx, p, s, self.frames[i][2], reason]

    def finish(self) -> dict:
        """The clip's plan.extra["quality"]."""
        self._resolve(final=True)
        return {"check": CHECK, "pairs": [self.out[k] for k in sorted(self.out)]}


# ---------------------------------------------------------------- filters and columns

def stored(marker: dict) -> list[list] | None:
    """The quality rows of a clip's synth.json (or plan.extra) when measured as this version does, else None."""
    qd = marker.get("quality")
    return qd["pairs"] if isinstance(qd, dict) and qd.get("check") == CHECK else None


def _relative(rows: list[list]) -> list[float | None]:
    return q.relative([r[3] for r in rows])


def dropped(plan: ClipPlan, cfg: SynthConfig) -> dict[int, str]:
    """pair_idx -> the filter (quality.FILTERS) that drops it, for one clip."""
    rows = stored(plan.extra) if cfg.measure_quality else None
    if not rows or (cfg.min_check_psnr is None and cfg.min_sharpness is None):
        return {}
    out = {}
    for r, rel in zip(rows, _relative(rows)):
        why = q.failed_filter(r[1], rel, cfg.min_check_psnr, cfg.min_sharpness)
        if why:
            out[r[0]] = why
    return out


def finish(plans: Sequence[ClipPlan], rows: list[dict], cfg: SynthConfig) -> tuple[list[dict], dict]:
    """Fill the quality columns of `rows`, leave out (and delete the images of) the dropped pairs; returns
    (kept rows, the sidecar's "quality" entry, whose "dropped" counts the pairs left out by filter)."""
    from .dataset import pair_paths

    cols: dict[tuple[str, int], dict] = {}
    drop: set[tuple[str, int]] = set()
    dropped_by: Counter = Counter()
    for p in plans:
        qrows = stored(p.extra) if cfg.measure_quality else None
        if not qrows:
            continue
        for r, rel in zip(qrows, _relative(qrows)):
            cols[(p.clip_id, r[0])] = {"check_psnr": r[1], "check_ssim": r[2], "target_sharpness": rel,
                                       "target_sharpness_raw": r[3], "_empty": r[4]}
        drops = dropped(p, cfg)
        for w in p.windows:
            why = drops.get(w.pair_idx)
            if why:
                drop.add((p.clip_id, w.pair_idx))
                dropped_by[why] += 1
                for path in pair_paths(p, w, cfg.image_format):
                    path.unlink(missing_ok=True)
    kept = []
    empty: Counter = Counter()
    for r in rows:
        key = (str(r["clip_id"]), int(r["pair_idx"]))
        if key in drop:
            continue
        c = dict(cols.get(key, {}))
        reason = c.pop("_empty", None)
        if reason:
            empty[reason] += 1
        r.update(c)
        kept.append(r)
    info = {"computed": bool(cfg.measure_quality), "check": CHECK, "check_side": [q.CHECK_MIN_SIDE, q.CHECK_MAX_SIDE],
            "min_check_psnr": cfg.min_check_psnr, "min_sharpness": cfg.min_sharpness,
            "check_empty": {k: empty[k] for k in q.EMPTY_REASONS},
            "dropped": {k: dropped_by[k] for k in q.FILTERS}}
    return kept, info
