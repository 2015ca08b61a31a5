"""The quality part of `uhdvd-data report`: distributions of the quality columns per split (quality_hist.png),
the worst pairs (lowest check_psnr: worst_pairs.csv, and on the contact sheet), and the pairs the quality filters
dropped and the pairs without a self-check, by reason (from the manifest's JSON sidecar)."""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from pathlib import Path

import numpy as np

from ..common.atomic import write_bytes, write_text
from .quality import COLUMNS

SPLIT_ORDER = ("train", "val", "test")


def value(row: dict, col: str) -> float | None:
    """A quality cell as a float; None when empty or not a finite number (verify reports those)."""
    try:
        x = float(row.get(col) or "")
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def worst_pairs(rows: list[dict], n: int) -> list[dict]:
    """The n pairs with the lowest check_psnr (ties: clip_id, pair_idx), pairs without a check left out."""
    scored = [r for r in rows if value(r, "check_psnr") is not None]
    return sorted(scored, key=lambda r: (value(r, "check_psnr"), r["clip_id"], int(r["pair_idx"])))[:n]


def split_table(rows: list[dict]) -> list[dict]:
    """Per split: pairs, pairs with a check, check_psnr mean / median / min, check_ssim mean, target_sharpness p10."""
    by = defaultdict(list)
    for r in rows:
        by[r["split"]].append(r)
    out = []
    for split in sorted(by, key=lambda s: SPLIT_ORDER.index(s) if s in SPLIT_ORDER else 9):
        ps = [x for x in (value(r, "check_psnr") for r in by[split]) if x is not None]
        ss = [x for x in (value(r, "check_ssim") for r in by[split]) if x is not None]
        sh = [x for x in (value(r, "target_sharpness") for r in by[split]) if x is not None]
        nan = float("nan")
        out.append({"split": split, "pairs": len(by[split]), "checked": len(ps),
                    "check_psnr_mean": float(np.mean(ps)) if ps else nan,
                    "check_psnr_median": float(np.median(ps)) if ps else nan,
                    "check_psnr_min": float(np.min(ps)) if ps else nan,
                    "check_ssim_mean": float(np.mean(ss)) if ss else nan,
                    "sharpness_p10": float(np.percentile(sh, 10)) if sh else nan})
    return out


def hist_png(rows: list[dict]) -> bytes:
    """Histograms of check_psnr, check_ssim, target_sharpness and blur_px_p50 (blur length in pixels), one colour
    per split (the blur_hist.png style)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = [("check_psnr", "self-check PSNR (dB)"), ("check_ssim", "self-check SSIM"),
            ("target_sharpness", "target sharpness / clip median"), ("blur_px_p50", "blur length p50 (px)")]
    fig, axes = plt.subplots(1, 4, figsize=(17, 3.2))
    by = defaultdict(list)
    for r in rows:
        by[r["split"]].append(r)
    for ax, (col, label) in zip(axes, cols):
        for split in sorted(by, key=lambda s: SPLIT_ORDER.index(s) if s in SPLIT_ORDER else 9):
            vals = [x for x in (value(r, col) for r in by[split]) if x is not None]
            if vals:
                ax.hist(vals, bins=30, alpha=0.6, label=f"{split} ({len(vals)})")
        ax.set_xlabel(label)
        ax.set_ylabel("pairs")
        if ax.get_legend_handles_labels()[0]:
            ax.legend()
    from .report import figure_png

    return figure_png(fig)


def label(r: dict) -> str:
    ps, ss, sh = (value(r, c) for c in COLUMNS[:3])
    parts = [f"check {ps:.1f} dB" if ps is not None else "no check"]
    if ss is not None:
        parts.append(f"SSIM {ss:.3f}")
    if sh is not None:
        parts.append(f"sharp {sh:.2f}")
    return "worst: " + ", ".join(parts)


def write_quality(out: Path, rows: list[dict], worst: list[dict]) -> None:
    """quality_hist.png and worst_pairs.csv in the report folder."""
    write_bytes(out / "quality_hist.png", hist_png(rows))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["clip_id", "split", "pair_idx", *COLUMNS, "blur_path", "sharp_path"])
    for r in worst:
        w.writerow([r["clip_id"], r["split"], r["pair_idx"], *(r.get(c, "") for c in COLUMNS), r["blur_path"],
                    r["sharp_path"]])
    write_text(out / "worst_pairs.csv", buf.getvalue())


def format_quality(table: list[dict], sidecar: dict | None, worst: list[dict]) -> str:
    """The report's quality lines: per-split table, drops and missing checks by reason, the worst pairs."""
    if not any(t["checked"] for t in table) and not (sidecar or {}).get("quality"):
        return "quality: not measured (manifest without quality columns, or made with --no-quality)"
    lines = [f"{'split':<6} {'checked':>8} {'check dB mean':>13} {'median':>7} {'min':>7} {'SSIM':>6} "
             f"{'sharp p10':>9}"]
    for t in table:
        lines.append(f"{t['split']:<6} {t['checked']:>8} {t['check_psnr_mean']:>13.2f} {t['check_psnr_median']:>7.2f} "
                     f"{t['check_psnr_min']:>7.2f} {t['check_ssim_mean']:>6.3f} {t['sharpness_p10']:>9.2f}")
    sk = (sidecar or {}).get("skipped") or {}
    qi = (sidecar or {}).get("quality") or {}
    cfg = (sidecar or {}).get("config") or {}
    drops = [f"{sk.get(k, 0)} with {col} < {cfg[opt]}{unit}" for k, col, opt, unit in (
        ("low_check_psnr", "check_psnr", "min_check_psnr", " dB"), ("low_sharpness", "target_sharpness",
                                                                   "min_sharpness", "")) if cfg.get(opt) is not None]
    lines.append("dropped by quality filters: " + (", ".join(drops) if drops else "no filter set"))
    empty = {k: v for k, v in (qi.get("check_empty") or {}).items() if v}
    lines.append("pairs without a self-check: " + (", ".join(f"{v} {k.replace('_', ' ')}" for k, v in empty.items())
                                                   if empty else "none"))
    for r in worst:
        lines.append(f"  worst {r['split']}/{r['clip_id']}#{r['pair_idx']}: {label(r).removeprefix('worst: ')}")
    return "\n".join(lines)
