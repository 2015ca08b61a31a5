"""`uhdvd-eval` outputs per dataset: the default side-by-side text table, the per-clip CSV and the PSNR bar chart."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

from uhdvd_data.common.atomic import write_bytes, write_text

BASELINE = "blurry input"
FIELDS = ["method", "weights", "clip", "frames", "psnr", "ssim", "ssim_y", "ms_model", "ms_end_to_end"]


def format_table(rows: list[dict], warmup: int | None = None) -> str:
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
    ms = [(m, get[(m, "mean")]) for m in methods if m != BASELINE]
    if ms:
        after = "" if warmup is None else f" after {warmup} warm-up frame(s)"
        out.append(f"runtime per frame{after} (file reading and metrics excluded): " + ", ".join(
            f"{m} {r['ms_model']:.1f} ms model / {r['ms_end_to_end']:.1f} ms end-to-end" for m, r in ms))
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
               color="lightgray" if m == BASELINE else None, edgecolor="gray")
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
