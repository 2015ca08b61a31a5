"""Variable-frame-rate footage onto its grid: repeat the nearest recorded frame vs interpolate at the grid time.

Phones drop frames (low light, load) and stamp the rest on time. From real CFR clips (benchmarks/data/footage) this
drops recorded frames in a phone-like pattern (runs of 1 or 2 frames), keeps exact timestamps for the others, and
puts the result back on the clip's grid two ways: `nearest` (video.vfr.resample_to_grid: the nearest recorded frame,
as the reader resamples) and `retime` (interp.retime with the default interpolator, as `uhdvd-data interpolate`
does since 2026-12-07). Truth: the dropped captured frames. PSNR RGB 8-bit, no crop, mean over the dropped slots.

    python benchmarks/vfr_retime.py [--clips carphone,city,vtest,box,bikes] [--every 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from interp_fidelity import cpu_model  # noqa: E402
from interp_real import CLIPS, FOOTAGE, read_segment  # noqa: E402

from uhdvd_data.interp import retime  # noqa: E402
from uhdvd_data.interp.methods import make_method  # noqa: E402
from uhdvd_data.video.vfr import resample_to_grid  # noqa: E402
from uhdvd_model.eval.metrics import psnr  # noqa: E402


def dropped_slots(n: int, every: int) -> list[int]:
    """Slots a phone drops: one frame every `every` frames, and every third time two in a row (never the ends)."""
    out = []
    for k, start in enumerate(range(2, n - 3, every)):
        out += [start, start + 1] if k % 3 == 2 else [start]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", default="carphone,city,vtest,box,bikes")
    ap.add_argument("--every", type=int, default=5, help="a drop every N frames (default 5)")
    a = ap.parse_args()
    import torch

    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    method = make_method("dis", device="cpu", warn_fn=lambda m: None)
    fps = Fraction(30)
    print("| clip | frames | dropped | nearest (repeat) | **retime (interpolate)** | gain | s |")
    print("|---|---|---|---|---|---|---|")
    for clip in (c for c in CLIPS if c.name in a.clips.split(",")):
        frames = read_segment(FOOTAGE / clip.file, clip.start, clip.count)
        drop = dropped_slots(len(frames), a.every)
        recorded = [(k / 30, f) for k, f in enumerate(frames) if k not in drop]
        t0 = time.perf_counter()
        near = {k: f for k, _, _, _, f in resample_to_grid(recorded, fps, len(frames))}
        ret = {f.index: f.rgb for f in retime.retimed(recorded, fps, len(frames), retime.pair_interpolator(method, 0.7))}
        dt = time.perf_counter() - t0
        pn = np.mean([psnr(near[k], frames[k]) for k in drop])
        pr = np.mean([psnr(ret[k], frames[k]) for k in drop])
        assert all(np.array_equal(ret[k], frames[k]) for k in range(len(frames)) if k not in drop)
        print(f"| {clip.name}{' (held out)' if clip.held_out else ''} | {len(frames)} | {len(drop)} | {pn:.2f} | "
              f"**{pr:.2f}** | {pr - pn:+.2f} | {dt:.0f} |", flush=True)
    print(f"\n{time.strftime('%Y-%m-%d')}, CPU: {cpu_model()} ({os.cpu_count()} cores); recorded frames pass through "
          "unchanged in both (checked)")


if __name__ == "__main__":
    main()
