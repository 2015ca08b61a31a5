"""Synthesis speed and fused-build disk use.

1. speed ratio = `synthesize` wall time / plain decode+encode time of the same frames, where "plain" decodes every
   interpolated frame that synthesize reads (once) and encodes+writes the same number of output images (2 per pair,
   same PNG settings), i.e. the unavoidable I/O without any averaging. Target <= 1.25. Runs alternate and the
   ratio uses the fastest of --repeats runs of each (robust to other jobs on a shared machine; median also given).
2. disk ratio = bytes on disk after the fused `build` (dataset + manifest) / bytes after interpolate + synthesize
   (interp/ frames + dataset + manifest). Target <= 1/10. The fused path never writes 480 fps frames, so its bytes
   are exactly its blur/sharp outputs; here it is fed by a replay of interp/ (same frames the interpolator wrote).

    .venv/bin/python benchmarks/synth_speed.py [--size 640x360] [--src-frames 13] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from uhdvd_data.common.atomic import write_bytes  # noqa: E402
from uhdvd_data.common.images import encode_image  # noqa: E402
from uhdvd_data.interp.store import FrameRow, InterpClip, InterpClipWriter  # noqa: E402
from uhdvd_data.synth.dataset import SynthConfig, read_bgr, synthesize_dataset  # noqa: E402
from uhdvd_data.synth.windows import layout  # noqa: E402


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) if Path(path).exists() else 0


def make_interp(root: Path, size: tuple[int, int], n_src: int, factor: int = 16) -> Path:
    """A demo scene rendered at 480 fps (real photo, camera motion), stored like `interpolate` would."""
    from uhdvd_data.render import render_clip

    clip = render_clip("motorcycle", size, n_frames=n_src, seed=1, motion=(20, 40), factor=factor)
    wr = InterpClipWriter(root / "clip0")
    for j, rgb in enumerate(clip.truth):
        wr.write(FrameRow(j, j / (30.0 * factor), j // factor if j % factor == 0 else None, 0), rgb)
    wr.finish({"source_path": "raw/clip0.mp4", "source_sha256": None, "src_fps": "30/1", "src_fps_float": 30.0,
               "factor": factor, "out_fps": 30.0 * factor, "method": "truth", "weights_sha256": None,
               "width": size[0], "height": size[1], "bit_depth": 8, "device_model": None})
    return root


def plain_io(interp: Path, out: Path, window: int, ext: str = ".png") -> float:
    clip = InterpClip(interp / "clip0")
    lay = layout([r.src_index for r in clip.rows], [r.segment for r in clip.rows], window)
    needed = sorted({i for w in lay.windows for i in range(w.start, w.end + 1)})
    t = time.perf_counter()
    frames = {}
    for i in needed:
        frames[i] = read_bgr(clip.frame_path(i))  # plain cv2 decode, no colour-order copy
    for w in lay.windows:
        img = frames[w.center][..., ::-1]  # encode_image flips back: no copy
        write_bytes(out / "blur" / f"{w.pair_idx:06d}{ext}", encode_image(img, ext))
        write_bytes(out / "sharp" / f"{w.pair_idx:06d}{ext}", encode_image(img, ext))
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="640x360")
    ap.add_argument("--src-frames", type=int, default=13, help="source frames (x16 - 15 interpolated frames)")
    ap.add_argument("--window", type=int, default=13)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--image-format", default="png", choices=["png", "jpg"], help="dataset image format")
    ap.add_argument("--json", default=None, help="write results here")
    a = ap.parse_args()
    w, h = (int(v) for v in a.size.split("x"))
    tmp = Path(tempfile.mkdtemp(prefix="synth_speed_"))
    try:
        interp = make_interp(tmp / "interp", (w, h), a.src_frames)
        n_frames = len(InterpClip(interp / "clip0"))
        synth_t, plain_t = [], []
        for _r in range(a.repeats):
            for d in ("dataset", "manifests", "plain"):
                shutil.rmtree(tmp / d, ignore_errors=True)
            t = time.perf_counter()
            s = synthesize_dataset(interp, tmp / "dataset", tmp / "manifests/4krd.csv", SynthConfig(window=a.window, image_format=a.image_format),
                                   show_progress=False)
            synth_t.append(time.perf_counter() - t)
            plain_t.append(plain_io(interp, tmp / "plain", a.window, "." + a.image_format))
        pairs = s["pairs"]
        two_step = du(interp) + du(tmp / "dataset") + du(tmp / "manifests")
        # fused: replay interp/ frames through iter_interpolated (never written again)
        clip = InterpClip(interp / "clip0")
        mod = types.ModuleType("uhdvd_data.interp.pipeline")
        mod.iter_interpolated = lambda p, **kw: (dict(clip.meta), ((r, clip.read(r.index)) for r in clip.rows))
        sys.modules["uhdvd_data.interp.pipeline"] = mod
        from uhdvd_data.synth.fused import build_dataset

        raw = tmp / "raw"
        raw.mkdir()
        (raw / "clip0.mp4").write_bytes(b"x")
        fused_out = tmp / "fused"
        t = time.perf_counter()
        build_dataset([raw / "clip0.mp4"], {"fps": 480, "method": "truth"}, fused_out / "dataset",
                      fused_out / "manifests/4krd.csv", SynthConfig(window=a.window, image_format=a.image_format),
                      show_progress=False)
        fused_t = time.perf_counter() - t
        fused = du(fused_out)
        res = {
            "size": a.size, "image_format": a.image_format, "interp_frames": n_frames, "pairs": pairs, "window": a.window,
            "synth_s_median": statistics.median(synth_t), "plain_io_s_median": statistics.median(plain_t),
            "synth_s_min": min(synth_t), "plain_io_s_min": min(plain_t),
            "speed_ratio": min(synth_t) / min(plain_t),
            "speed_ratio_median": statistics.median(synth_t) / statistics.median(plain_t),
            "fused_build_s": fused_t,
            "two_step_bytes": two_step, "fused_bytes": fused, "disk_ratio": fused / two_step,
            "interp_bytes": du(interp),
        }
        print(json.dumps(res, indent=2))
        if a.json:
            Path(a.json).write_text(json.dumps(res, indent=2) + "\n")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
