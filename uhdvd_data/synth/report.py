"""Dataset report: per-split counts, blur-magnitude statistics, a contact sheet and a histogram.

Per pair (on a sample of pairs): `mad` = mean absolute difference blur vs sharp in 8-bit code units, and
`grad_ratio` = gradient energy of the blurry frame / gradient energy of the sharp frame (grey, finite differences;
1.0 = no blur, smaller = blurrier). The quality columns (every pair, no image read) are summarised by
synth.quality_report: quality_hist.png, worst_pairs.csv, and the worst pairs at the end of the contact sheet.
"""

from __future__ import annotations

import csv
import io
import os
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..common.atomic import write_bytes, write_text
from ..common.images import read_image
from .manifest import read_manifest, read_sidecar, resolve

STAT_COLUMNS = ["clip_id", "split", "pair_idx", "mad", "grad_ratio"]


def pair_stats(blur: np.ndarray, sharp: np.ndarray) -> tuple[float, float]:
    scale = 255.0 / np.iinfo(blur.dtype).max
    b = blur.astype(np.float32) * scale
    s = sharp.astype(np.float32) * scale
    mad = float(np.mean(np.abs(b - s)))

    def energy(x: np.ndarray) -> float:
        g = x.mean(axis=2)
        return float(np.mean(np.diff(g, axis=0) ** 2) + np.mean(np.diff(g, axis=1) ** 2))

    es = energy(s)
    return mad, (energy(b) / es if es > 0 else 1.0)


def sample_rows(rows: list[dict], max_pairs: int) -> list[dict]:
    if len(rows) <= max_pairs:
        return rows
    idx = np.linspace(0, len(rows) - 1, max_pairs).round().astype(int)
    return [rows[i] for i in sorted(set(idx))]


def contact_sheet(manifest: Path, rows: list[dict], n: int = 8, width: int = 320,
                  extra: Sequence[tuple[dict, str]] = ()) -> np.ndarray:
    """Rows of [blur | sharp] thumbnails (8-bit), for up to n evenly spaced pairs, then the `extra` (row, note)
    pairs (the report's worst pairs by self-check) with the note in their label."""
    import cv2

    tiles = []
    for r, note in [(r, "") for r in sample_rows(rows, n)] + list(extra):
        pair = []
        for col in ("blur_path", "sharp_path"):
            img = read_image(resolve(manifest, r[col]))
            if img.dtype != np.uint8:
                img = (img.astype(np.float32) / 257.0 + 0.5).astype(np.uint8)
            h = max(1, round(img.shape[0] * width / img.shape[1]))
            pair.append(cv2.resize(img, (width, h), interpolation=cv2.INTER_AREA))
        px = f"  blur {float(r['blur_px_p50']):.1f}/{float(r['blur_px_p95']):.1f} px" if r.get("blur_px_p50") else ""
        label = f"{r['split']}/{r['clip_id']}#{r['pair_idx']}{px}" + (f"  {note}" if note else "")
        row = np.concatenate([pair[0], np.full((pair[0].shape[0], 4, 3), 255, np.uint8), pair[1]], axis=1)
        bar = np.zeros((18, row.shape[1], 3), np.uint8)
        cv2.putText(bar, label, (4, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1, cv2.LINE_AA)
        tiles.append(np.concatenate([bar, row], axis=0))
    if not tiles:
        return np.zeros((18, 2 * width + 4, 3), np.uint8)
    w = max(t.shape[1] for t in tiles)
    tiles = [np.pad(t, ((0, 0), (0, w - t.shape[1]), (0, 0))) for t in tiles]
    return np.concatenate(tiles, axis=0)


def histogram_png(stats: list[dict]) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    by_split = defaultdict(list)
    for s in stats:
        by_split[s["split"]].append(s)
    for split, ss in sorted(by_split.items()):
        axes[0].hist([s["mad"] for s in ss], bins=30, alpha=0.6, label=split)
        axes[1].hist([s["grad_ratio"] for s in ss], bins=30, alpha=0.6, label=split)
    axes[0].set_xlabel("mean |blur - sharp| (8-bit levels)")
    axes[1].set_xlabel("gradient energy ratio blur/sharp")
    for ax in axes:
        ax.set_ylabel("pairs")
        ax.legend()
    return figure_png(fig)


def figure_png(fig) -> bytes:
    """A matplotlib figure as PNG bytes (laid out, no software tag: same bytes on every run); closes the figure."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def sample_stats(manifest: Path, rows: list[dict], max_pairs: int, progress: bool = False) -> list[dict]:
    """pair_stats of up to max_pairs evenly spaced pairs (with their blur_px_p50 when the manifest has it)."""
    from tqdm import tqdm

    stats = []
    for r in tqdm(sample_rows(rows, max_pairs), desc=f"report {manifest.name}", unit="pair", disable=not progress):
        mad, gr = pair_stats(read_image(resolve(manifest, r["blur_path"])), read_image(resolve(manifest, r["sharp_path"])))
        stats.append({"clip_id": r["clip_id"], "split": r["split"], "pair_idx": r["pair_idx"], "mad": mad, "grad_ratio": gr,
                      "blur_px_p50": float(r["blur_px_p50"]) if r.get("blur_px_p50") else None})
    return stats


def compare_png(samples: dict[str, list[dict]]) -> bytes:
    """Overlaid distributions of several manifests (all splits pooled): blur vs sharp difference, gradient energy
    ratio, and the blur length in pixels where a manifest has it (imported datasets do not)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [("mad", "mean |blur - sharp| (8-bit levels)"), ("grad_ratio", "gradient energy ratio blur/sharp"),
            ("blur_px_p50", "blur length p50 (px)")]
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.4))
    for ax, (key, label) in zip(axes, keys):
        for name, ss in samples.items():
            vals = [s[key] for s in ss if s.get(key) is not None]
            if vals:
                ax.hist(vals, bins=30, alpha=0.5, density=True, label=f"{name} ({len(vals)})")
        ax.set_xlabel(label)
        ax.set_ylabel("share of pairs")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    return figure_png(fig)


def compare_manifests(manifests: list[os.PathLike | str], out: os.PathLike | str, max_pairs: int = 200,
                      progress: bool = False) -> list[dict]:
    """`report A.csv B.csv ...`: compare_hist.png in `out` and one summary row per manifest (medians)."""
    samples, table = {}, []
    for m in manifests:
        m = Path(m)
        ss = sample_stats(m, read_manifest(m), max_pairs, progress)
        name = m.stem if m.stem not in samples else str(m)
        samples[name] = ss
        px = [s["blur_px_p50"] for s in ss if s["blur_px_p50"] is not None]
        table.append({"manifest": name, "sampled": len(ss),
                      "mad_median": float(np.median([s["mad"] for s in ss])) if ss else float("nan"),
                      "grad_ratio_median": float(np.median([s["grad_ratio"] for s in ss])) if ss else float("nan"),
                      "blur_px_p50_median": float(np.median(px)) if px else None})
    write_bytes(Path(out) / "compare_hist.png", compare_png(samples))
    return table


def make_report(manifest: os.PathLike | str, out: os.PathLike | str | None = None, max_pairs: int = 200,
                sheet_pairs: int = 8, progress: bool = False, worst_pairs: int = 4) -> dict:
    from . import quality_report as qr

    manifest = Path(manifest)
    out = Path(out) if out else manifest.parent / f"{manifest.stem}_report"
    rows = read_manifest(manifest)
    counts: dict[str, dict] = defaultdict(lambda: {"clips": set(), "pairs": 0})
    for r in rows:
        counts[r["split"]]["clips"].add(r["clip_id"])
        counts[r["split"]]["pairs"] += 1
    stats = sample_stats(manifest, rows, max_pairs, progress)
    table = []
    for split in sorted(counts, key=lambda s: ("train", "val", "test").index(s) if s in ("train", "val", "test") else 9):
        ss = [s for s in stats if s["split"] == split]
        table.append({
            "split": split, "clips": len(counts[split]["clips"]), "pairs": counts[split]["pairs"],
            "mad_mean": float(np.mean([s["mad"] for s in ss])) if ss else float("nan"),
            "grad_ratio_mean": float(np.mean([s["grad_ratio"] for s in ss])) if ss else float("nan"),
        })
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(STAT_COLUMNS)
    for s in stats:
        w.writerow([s["clip_id"], s["split"], s["pair_idx"], f"{s['mad']:.4f}", f"{s['grad_ratio']:.4f}"])
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / "pair_stats.csv", buf.getvalue())
    sbuf = io.StringIO()
    w = csv.writer(sbuf, lineterminator="\n")
    w.writerow(["split", "clips", "pairs", "mad_mean", "grad_ratio_mean"])
    for t in table:
        w.writerow([t["split"], t["clips"], t["pairs"], f"{t['mad_mean']:.4f}", f"{t['grad_ratio_mean']:.4f}"])
    write_text(out / "splits.csv", sbuf.getvalue())
    from ..common.images import write_image

    worst = qr.worst_pairs(rows, worst_pairs)
    write_image(out / "contact_sheet.png", contact_sheet(manifest, rows, sheet_pairs,
                                                         extra=[(r, qr.label(r)) for r in worst]))
    write_bytes(out / "blur_hist.png", histogram_png(stats))
    qr.write_quality(out, rows, worst)
    quality = qr.format_quality(qr.split_table(rows), read_sidecar(manifest), worst)
    return {"table": table, "out": out, "sampled": len(stats), "pairs": len(rows), "quality": quality, "worst": worst}


def format_table(table: list[dict]) -> str:
    lines = [f"{'split':<6} {'clips':>6} {'pairs':>8} {'mean|b-s|':>10} {'grad ratio':>10}"]
    for t in table:
        lines.append(f"{t['split']:<6} {t['clips']:>6} {t['pairs']:>8} {t['mad_mean']:>10.2f} {t['grad_ratio_mean']:>10.3f}")
    return "\n".join(lines)
