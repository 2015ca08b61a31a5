"""Fidelity of blur synthesized from interpolated frames, against blur synthesized from the true 480 fps frames.

Synthetic-truth footage: `uhdvd_data.render.render_clip` renders a held-out photo scene (not used to train the
interpolation network) at 30 fps together with its exact 480 fps truth. For every interpolation method, the 30 fps
frames are interpolated x16, the standard windows (13 frames centred on captured frames, sRGB linear-light average)
are averaged by the synthesis core, and PSNR (RGB, 8-bit, no border crop) is taken against the same windows averaged
from the truth frames. Target: >= 45 dB for the network. Both kinds of scene are rendered through
uhdvd_data.render's sensor model (4x4 area integration + 0.5 px optics blur): `--camera smooth` scenes since
2026-11-25 (point-sampled before), the hand-held demo clips since the rendering was unified (2x2 area integration,
no optics blur, before).

    .venv/bin/python benchmarks/synth_fidelity.py [--size 640x360] [--frames 8] [--methods blend,dis-plain,dis,network]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from uhdvd_data.synth.blur import WindowAverager  # noqa: E402
from uhdvd_data.synth.crf import Codec, transfer  # noqa: E402
from uhdvd_data.synth.windows import layout  # noqa: E402
from uhdvd_model.eval.metrics import psnr  # noqa: E402


def blurs(frames, factor: int, window: int, crf: str = "srgb") -> list[np.ndarray]:
    """Blur frames for the standard layout, from a full-rate frame sequence (list/array of HxWx3 uint8)."""
    n = len(frames)
    lay = layout([i // factor if i % factor == 0 else None for i in range(n)], [0] * n, window)
    codec = Codec(transfer(crf), np.uint8)
    avg = WindowAverager(codec, lay.windows)
    out = []
    for i in range(n):
        if avg.needs(i):
            out.extend(codec.encode(mean) for _, mean, _ in avg.add(i, frames[i]))
    return out


def make_method(name: str, device: str, weights: str | None = None, scene=None):
    """blend / dis / network with the default fused motion; a "-plain" suffix uses the classical DIS pre-warp, a
    "-linear" suffix the fused motion on linear trajectories (default: quadratic through the neighbouring frames);
    "oracle" warps with the scene's exact motion (smooth-camera scenes only)."""
    from uhdvd_data.interp.pipeline import make_method as mm

    if name == "oracle":
        if scene is None:
            raise ValueError("the oracle needs a scene with exact motion (--camera smooth)")
        from uhdvd_data.render import OracleMethod

        return OracleMethod(scene)

    base = name.removesuffix("-plain").removesuffix("-linear")
    return mm(base, weights=weights, device=device, motion="plain" if name.endswith("-plain") else "fused",
              trajectory="linear" if name.endswith("-linear") else "quadratic")


def interpolate(frames: np.ndarray, factor: int, method) -> list[np.ndarray]:
    from uhdvd_data.render import prepare_pair

    out = [frames[0]]
    for i in range(len(frames) - 1):
        st = prepare_pair(method, frames[i], frames[i + 1], float(i), frames[i - 1] if i > 0 else None,
                          frames[i + 2] if i + 2 < len(frames) else None)
        out.extend(method.frame(st, k / factor) for k in range(1, factor))
        out.append(frames[i + 1])
    return out


def make_clip(camera: str, photo: str, size: tuple[int, int], frames: int, seed: int, motion: tuple[float, float]):
    """30 fps frames + exact x16 truth: a demo clip (handheld) or an interpolation-benchmark scene (smooth)."""
    from types import SimpleNamespace

    if camera == "handheld":
        from uhdvd_data.render import render_clip

        return render_clip(photo, size, n_frames=frames, seed=seed, motion=motion)
    from uhdvd_data.render import benchmark_scenes

    sc = benchmark_scenes(1, size=(size[1], size[0]), seed=seed)[0]
    truth = [(np.clip(sc.render(i / 16), 0, 1) * 255 + 0.5).astype(np.uint8) for i in range(16 * (frames - 1) + 1)]
    return SimpleNamespace(truth=truth, frames=truth[::16], factor=16, scene=sc)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="640x360")
    ap.add_argument("--frames", type=int, default=8, help="30 fps frames per clip")
    ap.add_argument("--photos", default="motorcycle", help="comma-separated demo photos (held-out by default)")
    ap.add_argument("--seeds", default="1", help="comma-separated scene seeds")
    ap.add_argument("--motion", default="20,40", help="background motion range, px per video frame")
    ap.add_argument("--methods", default="blend,dis-plain,dis,network", help="also: oracle (exact motion; --camera smooth)")
    ap.add_argument("--window", type=int, default=13)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--weights", default=None, help="interpolation network weights (default: packaged, if any)")
    ap.add_argument("--camera", default="handheld", choices=["handheld", "smooth"],
                    help="handheld: demo clips (camera shake between captured frames); smooth: the interpolation "
                    "benchmark's scenes (render.benchmark_scenes: steady pan/rotation/zoom, 20-40 px/frame, "
                    "an independently moving occluder; held-out photos, one scene per seed; --photos/--motion unused)")
    ap.add_argument("--json", default=None)
    a = ap.parse_args()

    w, h = (int(v) for v in a.size.split("x"))
    motion = tuple(float(v) for v in a.motion.split(","))
    results = {}
    photos = a.photos.split(",") if a.camera == "handheld" else ["scene"]
    for photo in photos:
        for seed in (int(s) for s in a.seeds.split(",")):
            clip = make_clip(a.camera, photo, (w, h), a.frames, seed, motion)
            ref = blurs(clip.truth, clip.factor, a.window)
            for name in a.methods.split(","):
                try:
                    m = make_method(name, a.device, a.weights, getattr(clip, "scene", None))
                except Exception as e:  # noqa: BLE001
                    results.setdefault(name, {"error": str(e)})
                    print(f"{name}: skipped ({e})", file=sys.stderr)
                    continue
                t = time.perf_counter()
                got = blurs(interpolate(clip.frames, clip.factor, m), clip.factor, a.window)
                dt = time.perf_counter() - t
                vals = [psnr(x, y) for x, y in zip(got, ref)]
                r = results.setdefault(name, {"psnr": [], "seconds": 0.0})
                r["psnr"].extend(vals)
                r["seconds"] += dt
                print(f"{photo}/{seed} {name}: mean PSNR {np.mean(vals):.2f} dB over {len(vals)} blurs ({dt:.1f} s)")
    summary = {k: ({"psnr_mean": float(np.mean(v["psnr"])), "psnr_min": float(np.min(v["psnr"])), "n": len(v["psnr"]),
                    "seconds": v["seconds"]} if "psnr" in v else v) for k, v in results.items()}
    print(json.dumps({"size": a.size, "frames": a.frames, "photos": a.photos, "seeds": a.seeds, "motion": a.motion,
                      "window": a.window, "methods": summary}, indent=2))
    if a.json:
        Path(a.json).write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
