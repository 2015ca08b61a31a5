"""The 4K data path by stage, and sequential vs overlapped `interpolate` (issue #16).

1. CPU seconds per stage, each measured alone in this process (process time, all threads): decoding one 4K source
   frame, the motion of one source pair (`--motion fused`, the default), the device work of one new frame (here the
   device is the CPU: warps, splatting, blending, quantisation), PNG encoding of one 4K frame.
2. Wall time of `interpolate_clip` on a short 4K clip, sequential (`--motion-workers 0 --io-queue 0`) and overlapped
   (the defaults: motion of upcoming pairs in worker threads, decoding ahead, encoding behind), pairs/s each, and a
   check that both wrote the same bytes.
3. From 1, the CPU-bound estimate for a box with N cores and a GPU fast enough not to be the bottleneck: new frames/s
   = N / (CPU seconds per source pair) x (factor - 1), CPU seconds per pair = motion + factor x (decode/factor +
   encode) with decode once per source frame.

The clip is made from real 4K frames (a folder of JPEGs, bounced back and forth to make more pairs).

    .venv/bin/python benchmarks/interp_overlap.py [--frames DIR] [--fps 120] [--cores 16]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np


def make_clip(frames_dir: Path, out: Path, n: int) -> Path:
    from uhdvd_data.common.ffmpeg_bin import ffmpeg_exe

    files = sorted(frames_dir.glob("*.jpg")) + sorted(frames_dir.glob("*.png"))
    if len(files) < 2:
        raise SystemExit(f"{frames_dir}: needs at least two frames")
    bounce = files + files[-2:0:-1]
    seq = [bounce[i % len(bounce)] for i in range(n)]
    tmp = Path(tempfile.mkdtemp())
    for i, f in enumerate(seq):
        shutil.copy(f, tmp / f"{i:04d}{f.suffix}")
    subprocess.run([ffmpeg_exe(), "-y", "-loglevel", "error", "-framerate", "30", "-i", str(tmp / f"%04d{seq[0].suffix}"),
                    "-c:v", "libx264", "-crf", "10", "-pix_fmt", "yuv420p", str(out)], check=True)
    shutil.rmtree(tmp)
    return out


def cpu_time(fn, repeat: int = 1) -> float:
    t0 = time.process_time()
    for _ in range(repeat):
        fn()
    return (time.process_time() - t0) / repeat


def stage_costs(clip: Path, factor: int) -> dict:
    import torch

    from uhdvd_data.interp.methods import make_method
    from uhdvd_data.video import open_video, probe

    info = probe(clip, hash=False)
    frames = []
    t0 = time.process_time()
    with open_video(clip, info=info) as v:
        for fr in v:
            frames.append(fr.rgb)
            if len(frames) == 3:
                break
    decode = (time.process_time() - t0) / len(frames)
    m = make_method("dis", device="cpu", motion_workers=0, warn_fn=lambda s: None)
    motion = cpu_time(lambda: m._estimate(frames[0], frames[1]))
    st = m.prepare(frames[0], frames[1])
    with torch.no_grad():
        device = cpu_time(lambda: m.frame_codes(st, 0.5), repeat=2)
    out = m.frame(st, 0.5)
    encode = cpu_time(lambda: cv2.imencode(".png", out[..., ::-1]), repeat=2)
    return {"decode": decode, "motion": motion, "device": device, "encode": encode,
            "size": f"{info.width}x{info.height}", "factor": factor}


def run_clip(clip: Path, out: Path, fps: int, workers: int, io_queue: int) -> float:
    from uhdvd_data.interp.methods import make_method
    from uhdvd_data.interp.pipeline import interpolate_clip

    m = make_method("dis", device="cpu", motion_workers=workers, warn_fn=lambda s: None)
    t0 = time.perf_counter()
    interpolate_clip(clip, out, fps=Fraction(fps), interp=m, force=True, io_queue=io_queue)
    return time.perf_counter() - t0


def tree_hash(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*.png")):
        h.update(p.read_bytes())
    return h.hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", default="../shared/footage/4krd_vid001", help="folder of real 4K frames (JPEG/PNG)")
    ap.add_argument("--n", type=int, default=6, help="source frames in the clip (default 6: 5 pairs)")
    ap.add_argument("--fps", type=int, default=120, help="target fps of the timed runs (default 120: factor 4)")
    ap.add_argument("--cores", type=int, default=16, help="cores of the box to predict (default 16)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="uhdvd-overlap-"))
    try:
        clip = make_clip(Path(args.frames), work / "clip.mp4", args.n)
        factor = args.fps // 30
        c = stage_costs(clip, factor)
        print(f"## CPU seconds per stage ({c['size']}, {os.cpu_count()} cores, process time of all threads)\n")
        print("| stage | per | CPU s |\n|---|---|---|")
        for k, per in (("decode", "source frame"), ("motion", "source pair"), ("device", "new frame (device = CPU)"),
                       ("encode", "frame (PNG)")):
            print(f"| {k} | {per} | {c[k]:.2f} |")
        seq = run_clip(clip, work / "seq", args.fps, 0, 0)
        ovl_workers = max(1, (os.cpu_count() or 1) // 4)
        ovl = run_clip(clip, work / "ovl", args.fps, ovl_workers, 4)
        same = tree_hash(work / "seq") == tree_hash(work / "ovl")
        pairs = args.n - 1
        print(f"\n## interpolate_clip, {pairs} source pairs, x{factor} ({args.fps} fps)\n")
        print("| path | wall s | source pairs/s | new frames/s |\n|---|---|---|---|")
        for name, wall in (("sequential (--motion-workers 0 --io-queue 0)", seq),
                           (f"overlapped (--motion-workers {ovl_workers} --io-queue 4)", ovl)):
            print(f"| {name} | {wall:.1f} | {pairs / wall:.3f} | {pairs * (factor - 1) / wall:.2f} |")
        print(f"\nsame bytes: {same}; overlapped / sequential speed: {seq / ovl:.2f}x")
        f480 = 16
        per_pair = c["motion"] + c["decode"] + f480 * c["encode"]
        print(f"\n## Predicted, {args.cores} cores + a GPU that is not the bottleneck, 30 -> 480 fps\n")
        print(f"CPU s per source pair = motion {c['motion']:.2f} + decode {c['decode']:.2f} + 16 x encode "
              f"{c['encode']:.2f} = {per_pair:.2f}; new 4K frames/s = {args.cores} / {per_pair:.2f} x 15 = "
              f"{args.cores / per_pair * 15:.1f} (PNG); without PNG (build, which keeps frames on the device): "
              f"{args.cores / (c['motion'] + c['decode']) * 15:.1f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
