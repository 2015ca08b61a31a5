"""`uhdvd-eval`: run deblurring weights recurrently over each clip of a manifest split and score them.

Every clip is processed frame by frame in time order with the previous output fed back (reset at each clip start),
exactly as `uhdvd-deblur` would. Scores use the conventions of `metrics.CONVENTIONS`; "mean" rows average over all
frames of the split. A "blurry input" row scores the blurry frames themselves (the baseline to beat).
"""

from __future__ import annotations

import csv
import io
import math
import time
from pathlib import Path

import numpy as np

from uhdvd_data.common.atomic import write_bytes, write_text
from uhdvd_data.common.errors import UserError
from uhdvd_data.common.images import read_image, write_image

from ..data.manifest import SPLITS, Clip, clips_of, read_manifest
from . import metrics as M

BASELINE = "blurry input"
FIELDS = ["method", "weights", "clip", "frames", "psnr", "ssim", "ssim_y", "ms_per_frame"]


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


class _Timer:
    """Per-frame runtime: CUDA events (synchronised) on GPU, perf_counter on CPU."""

    def __init__(self, device):
        self.cuda = getattr(device, "type", "cpu") == "cuda"

    def __enter__(self):
        import torch

        if self.cuda:
            self.a, self.b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            self.a.record()
        else:
            self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        import torch

        if self.cuda:
            self.b.record()
            torch.cuda.synchronize()
            self.ms = self.a.elapsed_time(self.b)
        else:
            self.ms = (time.perf_counter() - self.t0) * 1000.0
        return False


def evaluate(manifest: str, weights: list[str], split: str = "test", device: str | None = None,
             dtype: str | None = None, save_images: str | None = None, max_frames: int = 0,
             progress: bool = True) -> list[dict]:
    """Rows of FIELDS: per clip and a 'mean' row for the baseline and each weights file, in that order."""
    from tqdm import tqdm

    if split not in (*SPLITS, "all"):
        raise UserError(f"--split must be one of {', '.join(SPLITS)}, all (got {split!r})")
    all_clips = read_manifest(manifest)
    clips = clips_of(all_clips, split)
    if not clips:
        have = sorted({c.split for c in all_clips})
        raise UserError(f"{manifest}: no clips in split {split!r} (the manifest has: {', '.join(have)}; "
                        f"use --split)")

    def n_of(c: Clip) -> int:
        return len(c) if max_frames <= 0 else min(len(c), max_frames)

    total = sum(n_of(c) for c in clips)

    rows: list[dict] = []

    def add_rows(method: str, wpath: str, per_clip: dict[str, list[tuple]]) -> None:
        allv = []
        for clip_name, vals in per_clip.items():
            allv += vals
            rows.append(_row(method, wpath, clip_name, vals))
        rows.append(_row(method, wpath, "mean", allv))

    base: dict[str, list[tuple]] = {}
    for c in clips:
        base[c.name] = [(*_score(M.to_uint8(read_image(c.blur[i])), M.to_uint8(read_image(c.sharp[i]))), math.nan)
                        for i in range(n_of(c))]
    add_rows(BASELINE, "", base)

    if weights:
        import torch

        from uhdvd_data.common.device import pick_device

        from ..infer.deblurrer import Deblurrer
        from ..weights import load_weights

        dev = pick_device(device)
        for label, w in zip(_labels(weights), weights):
            model, _ = load_weights(w, map_location="cpu")
            d = Deblurrer(model, device=dev, dtype=dtype, channels_last=dev.type == "cuda")
            per: dict[str, list[tuple]] = {}
            bar = tqdm(total=total, desc=f"eval {label}", unit="frame", disable=not progress, mininterval=1.0)
            for c in clips:
                d.reset()
                vals = []
                for i in range(n_of(c)):
                    blur = read_image(c.blur[i])
                    with _Timer(dev) as t:
                        out = d(blur)
                    vals.append((*_score(out, M.to_uint8(read_image(c.sharp[i]))), t.ms))
                    if save_images:
                        write_image(Path(save_images) / label.replace("/", "_") / c.name / f"{i:06d}.png", out)
                    bar.update(1)
                per[c.name] = vals
            bar.close()
            add_rows(label, str(w), per)
            del model, d
            if dev.type == "cuda":
                torch.cuda.empty_cache()
    return rows


def _row(method: str, wpath: str, clip: str, vals: list[tuple]) -> dict:
    a = np.asarray(vals, dtype=np.float64).reshape(-1, 4)
    ms = a[:, 3][~np.isnan(a[:, 3])]
    return {"method": method, "weights": wpath, "clip": clip, "frames": len(a),
            "psnr": M.mean(a[:, 0]), "ssim": M.mean(a[:, 1]), "ssim_y": M.mean(a[:, 2]),
            "ms_per_frame": float(ms.mean()) if len(ms) else math.nan}


def format_table(rows: list[dict]) -> str:
    """One block per metric: rows = clips + mean, columns = methods side by side."""
    methods = list(dict.fromkeys(r["method"] for r in rows))
    clips = list(dict.fromkeys(r["clip"] for r in rows))
    get = {(r["method"], r["clip"]): r for r in rows}
    w0 = max(len("clip"), *(len(c) for c in clips))
    widths = [max(10, len(m)) for m in methods]
    out = []
    for key, title, fmt in (("psnr", "PSNR (dB)", "{:.2f}"), ("ssim", "SSIM (RGB)", "{:.4f}"),
                            ("ssim_y", "SSIM (Y)", "{:.4f}")):
        out.append(f"{title}")
        out.append("  " + "clip".ljust(w0) + "  " + "  ".join(m.rjust(w) for m, w in zip(methods, widths)))
        for c in clips:
            cells = []
            for m, w in zip(methods, widths):
                v = get.get((m, c), {}).get(key, math.nan)
                cells.append(("inf" if v == math.inf else fmt.format(v)).rjust(w))
            out.append("  " + c.ljust(w0) + "  " + "  ".join(cells))
        out.append("")
    ms = [(m, get[(m, "mean")]["ms_per_frame"]) for m in methods if m != BASELINE]
    if ms:
        out.append("runtime per frame (model only): " + ", ".join(f"{m} {v:.1f} ms" for m, v in ms))
    frames = get[(methods[0], "mean")]["frames"]
    out.append(f"{len(clips) - 1} clip(s), {frames} frame(s); mean = over all frames")
    return "\n".join(out)


def write_csv(rows: list[dict], path: Path) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=FIELDS, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: (f"{v:.6f}" if isinstance(v, float) and math.isfinite(v) else v) for k, v in r.items()})
    write_text(path, buf.getvalue())


def write_chart(rows: list[dict], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = list(dict.fromkeys(r["method"] for r in rows))
    clips = list(dict.fromkeys(r["clip"] for r in rows))
    get = {(r["method"], r["clip"]): r["psnr"] for r in rows}
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(clips) * max(1, len(methods)) / 2 + 2), 4))
    width = 0.8 / len(methods)
    x = np.arange(len(clips))
    for i, m in enumerate(methods):
        vals = [min(get.get((m, c), math.nan), 99.0) for c in clips]
        ax.bar(x + (i - (len(methods) - 1) / 2) * width, vals, width, label=m,
               color="lightgray" if m == "blurry input" else None, edgecolor="gray")
    ax.set_xticks(x, clips, rotation=20, ha="right")
    ax.set_ylabel("PSNR (dB), RGB 8-bit")
    finite = [v for v in get.values() if math.isfinite(v)]
    if finite:
        ax.set_ylim(max(0, min(finite) - 3), max(finite) + 2)
    ax.legend(fontsize=8)
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    write_bytes(path, buf.getvalue())


def run(manifest: str, weights: list[str], split: str, device, dtype, save_images, out: str, max_frames: int,
        progress: bool = True) -> tuple[list[dict], Path, Path]:
    rows = evaluate(manifest, weights, split, device, dtype, save_images, max_frames, progress)
    out_dir = Path(out)
    csv_path, png_path = out_dir / f"eval_{split}.csv", out_dir / f"eval_{split}.png"
    write_csv(rows, csv_path)
    write_chart(rows, png_path, f"{Path(manifest).name}, split {split}")
    return rows, csv_path, png_path


def clips_in(manifest: str, split: str) -> list[Clip]:
    return clips_of(read_manifest(manifest), split)
