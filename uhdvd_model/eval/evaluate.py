"""`uhdvd-eval`: run deblurring weights recurrently over each clip of one or more manifests ("datasets") and score them.

Every clip is processed frame by frame in time order with the previous output fed back (reset at each clip start),
exactly as `uhdvd-deblur` would. Scores use the conventions of `metrics.CONVENTIONS`; "mean" rows average over all
frames of the split. A "blurry input" row scores the blurry frames themselves (the baseline to beat).

Timing (see `timing.py`): before timing a weights file on a dataset, the first ``warmup`` frames of that dataset's
first clip are run untimed, then the state is reset, so scores do not depend on the warm-up.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from uhdvd_data.common.errors import UserError
from uhdvd_data.common.images import read_image, write_image

from ..data.manifest import SPLITS, Clip, clips_of, read_manifest
from . import metrics as M
from .report import BASELINE, FIELDS, write_chart, write_csv

__all__ = ["BASELINE", "FIELDS", "Dataset", "EvalResult", "evaluate", "evaluate_datasets", "load_datasets", "run"]


@dataclass
class Dataset:
    """The clips of one manifest's split, evaluated together (a column group of the paper table)."""

    name: str
    manifest: str
    split: str
    clips: list[Clip]
    max_frames: int = 0

    def n_of(self, c: Clip) -> int:
        return len(c) if self.max_frames <= 0 else min(len(c), self.max_frames)

    @property
    def frames(self) -> int:
        return sum(self.n_of(c) for c in self.clips)


@dataclass
class EvalResult:
    datasets: list[Dataset]
    rows: dict[str, list[dict]]  # dataset name -> rows of FIELDS
    warmup: int = 0
    device: str = ""  # description of what was timed on ("" without weights)
    dtype: str = ""
    timing: str = ""  # how ms_model was measured
    paths: list[Path] = field(default_factory=list)
    paper_table: str = ""  # markdown of `--table paper` (table.py)


def _labels(weights: list[str]) -> list[str]:
    names = []
    for w in weights:
        p = Path(w.rstrip("/"))
        name = p.name if p.is_dir() else p.stem
        if p.stem in ("weights", "ema", "best") and p.parent.name:
            name = f"{p.parent.name}/{p.stem}"
        while name in names or name == BASELINE:
            name = name + "'"
        names.append(name)
    return names


def _score(out: np.ndarray, sharp: np.ndarray) -> tuple[float, float, float]:
    return M.psnr(out, sharp), M.ssim(out, sharp), M.ssim_y(out, sharp)


def dataset_names(manifests: list[str], names: list[str] | None = None) -> list[str]:
    """`--dataset-names` when given (one per manifest), else each manifest's file stem (gopro.csv -> gopro)."""
    got = list(names) if names else [Path(m).stem for m in manifests]
    if len(got) != len(manifests):
        raise UserError(f"--dataset-names gives {len(got)} name(s) for {len(manifests)} manifest(s)")
    for n in got:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", n):
            raise UserError(f"dataset name {n!r}: use letters, digits, '.', '_' or '-' (it names output files)")
    dup = [n for n in got if got.count(n) > 1]
    if dup:
        raise UserError(f"two manifests are both named {dup[0]!r}; name them with --dataset-names a,b")
    return got


def load_datasets(manifests: list[str], split: str, names: list[str] | None = None,
                  max_frames: int = 0) -> list[Dataset]:
    if split not in (*SPLITS, "all"):
        raise UserError(f"--split must be one of {', '.join(SPLITS)}, all (got {split!r})")
    out = []
    for name, manifest in zip(dataset_names(manifests, names), manifests):
        all_clips = read_manifest(manifest)
        clips = clips_of(all_clips, split)
        if not clips:
            have = sorted({c.split for c in all_clips})
            raise UserError(f"{manifest}: no clips in split {split!r} (the manifest has: {', '.join(have)}; "
                            f"use --split)")
        out.append(Dataset(name, str(manifest), split, clips, max_frames))
    return out


def _row(method: str, wpath: str, clip: str, vals: list[tuple]) -> dict:
    a = np.asarray(vals, dtype=np.float64).reshape(-1, 5)

    def ms(col: int) -> float:
        v = a[:, col][~np.isnan(a[:, col])]
        return float(v.mean()) if len(v) else math.nan

    return {"method": method, "weights": wpath, "clip": clip, "frames": len(a),
            "psnr": M.mean(a[:, 0]), "ssim": M.mean(a[:, 1]), "ssim_y": M.mean(a[:, 2]),
            "ms_model": ms(3), "ms_end_to_end": ms(4)}


def _add_rows(rows: list[dict], method: str, wpath: str, per_clip: dict[str, list[tuple]]) -> None:
    allv: list[tuple] = []
    for clip_name, vals in per_clip.items():
        allv += vals
        rows.append(_row(method, wpath, clip_name, vals))
    rows.append(_row(method, wpath, "mean", allv))


def _baseline(ds: Dataset) -> dict[str, list[tuple]]:
    return {c.name: [(*_score(M.to_uint8(read_image(c.blur[i])), M.to_uint8(read_image(c.sharp[i]))),
                      math.nan, math.nan) for i in range(ds.n_of(c))] for c in ds.clips}


def _warm_up(d, ds: Dataset, n: int) -> None:
    from .timing import timed_frame

    first = ds.clips[0]
    d.reset()
    for i in range(min(n, len(first))):
        timed_frame(d, read_image(first.blur[i]))
    d.reset()


def evaluate_datasets(datasets: list[Dataset], weights: list[str], device: str | None = None,
                      dtype: str | None = None, save_images: str | None = None, progress: bool = True,
                      warmup: int = 3) -> EvalResult:
    """Per dataset, rows of FIELDS: per clip and a 'mean' row for the baseline and each weights file, in order."""
    from tqdm import tqdm

    res = EvalResult(datasets, {ds.name: [] for ds in datasets}, max(0, warmup))
    for ds in datasets:
        _add_rows(res.rows[ds.name], BASELINE, "", _baseline(ds))
    if not weights:
        return res

    import torch

    from uhdvd_data.common.device import pick_device

    from ..infer.deblurrer import Deblurrer
    from ..weights import load_weights
    from .timing import device_description, dtype_name, timed_frame, timing_how

    dev = pick_device(device)
    res.device, res.timing = device_description(dev), timing_how(dev)
    total = sum(ds.frames for ds in datasets)
    for label, w in zip(_labels(weights), weights):
        model, _ = load_weights(w, map_location="cpu")
        d = Deblurrer(model, device=dev, dtype=dtype, channels_last=dev.type == "cuda")
        res.dtype = dtype_name(d.dtype)
        bar = tqdm(total=total, desc=f"eval {label}", unit="frame", disable=not progress, mininterval=1.0)
        for ds in datasets:
            _warm_up(d, ds, res.warmup)
            img_dir = Path(save_images or ".") / (ds.name if len(datasets) > 1 else "") / label.replace("/", "_")
            per: dict[str, list[tuple]] = {}
            for c in ds.clips:
                d.reset()
                vals = []
                for i in range(ds.n_of(c)):
                    out, ms_model, ms_e2e = timed_frame(d, read_image(c.blur[i]))
                    vals.append((*_score(out, M.to_uint8(read_image(c.sharp[i]))), ms_model, ms_e2e))
                    if save_images:
                        write_image(img_dir / c.name / f"{i:06d}.png", out)
                    bar.update(1)
                per[c.name] = vals
            _add_rows(res.rows[ds.name], label, str(w), per)
        bar.close()
        del model, d
        if dev.type == "cuda":
            torch.cuda.empty_cache()
    return res


def evaluate(manifest: str, weights: list[str], split: str = "test", device: str | None = None,
             dtype: str | None = None, save_images: str | None = None, max_frames: int = 0,
             progress: bool = True, warmup: int = 3) -> list[dict]:
    """Rows of FIELDS for one manifest: per clip and a 'mean' row for the baseline and each weights file."""
    ds = load_datasets([manifest], split, max_frames=max_frames)
    return evaluate_datasets(ds, weights, device, dtype, save_images, progress, warmup).rows[ds[0].name]


def run(manifests: list[str], weights: list[str], split: str, device, dtype, save_images, out: str,
        max_frames: int, progress: bool = True, warmup: int = 3, names: list[str] | None = None,
        table: str = "default") -> EvalResult:
    """Evaluate, then write per dataset `eval_[<dataset>_]<split>.csv/.png` (and the paper table) under `out`."""
    datasets = load_datasets(manifests, split, names, max_frames)
    res = evaluate_datasets(datasets, weights, device, dtype, save_images, progress, warmup)
    out_dir = Path(out)
    for ds in datasets:
        stem = f"eval_{split}" if len(datasets) == 1 else f"eval_{ds.name}_{split}"
        csv_path, png_path = out_dir / f"{stem}.csv", out_dir / f"{stem}.png"
        write_csv(res.rows[ds.name], csv_path)
        write_chart(res.rows[ds.name], png_path, f"{Path(ds.manifest).name}, split {split}")
        res.paths += [csv_path, png_path]
    if table == "paper":
        from .table import write_paper_table

        res.paths += write_paper_table(res, out_dir)
    return res


def clips_in(manifest: str, split: str) -> list[Clip]:
    return clips_of(read_manifest(manifest), split)
