"""Interpolation fidelity on held-out synthetic-truth footage (photos never used for training).

Scenes: uhdvd_data.render.benchmark_scenes: HELDOUT_PHOTOS (photos reserved for held-out benchmarks), 640x360,
camera pan 20-40 px per source frame (plus slight rotation/zoom) and an independently moving occluding object,
rendered through uhdvd_data.render's sensor model (4x4 area integration + 0.5 px Gaussian optics; point-sampled
before 2026-11-25, which made figures ~1 dB lower and not comparable with the new ones).
Source frames at t = 0, 1, ... are quantised to 8 bit; every intermediate frame t = k + j/16 (j = 1..15) is scored
against the exact rendered truth (8-bit). PSNR: RGB, 8-bit, no border crop, mean over all interpolated frames.
SSIM: scikit-image structural_similarity, per channel, Gaussian weights sigma 1.5, data_range 255.

    python benchmarks/interp_fidelity.py [--scenes 4] [--pairs 1] [--methods blend,dis,network] [--weights W]

Method names: blend, dis, network, each with the default "fused" motion (interp.motion); a "-plain" suffix
(dis-plain, network-plain) uses the classical DIS + linear-motion pre-warp instead; a "-linear" suffix (dis-linear,
network-linear) keeps the fused motion on linear trajectories (the default follows quadratic ones through the captured
frames either side of the pair, t = -1 and 2, rendered for the purpose). "dis-bisect" = dis applied by
recursive bisection (t = 1/2, then 1/4, 3/4, ...), for comparison with direct time-conditioned synthesis. A
"-mirror" suffix (dis-mirror, dis-plain-mirror, network-mirror) wraps the method in the mirror ensemble
(interp.ensemble), which `uhdvd-data interpolate` uses by default. "oracle" = both frames warped by the scenes'
exact motion with exact visibility (render.oracle): the ceiling of warp-and-blend.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402

from uhdvd_model.eval.metrics import psnr, ssim  # noqa: E402


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def q8(x: np.ndarray) -> np.ndarray:
    return (np.clip(x, 0, 1) * 255 + 0.5).astype(np.uint8)


def bisect_frames(method, f0, f1, factor):
    frames = {0: f0, factor: f1}

    def rec(a, b):
        if b - a < 2:
            return
        m = (a + b) // 2
        st = method.prepare(frames[a], frames[b])
        frames[m] = method.frame(st, (m - a) / (b - a))
        rec(a, m)
        rec(m, b)

    rec(0, factor)
    return [frames[j] for j in range(1, factor)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenes", type=int, default=4)
    ap.add_argument("--pairs", type=int, default=1, help="source-frame pairs per scene")
    ap.add_argument("--factor", type=int, default=16)
    ap.add_argument("--size", default="640x360")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--methods", default="blend,dis-plain,dis,network")
    ap.add_argument("--weights", default=None, help="network weights (default: packaged default)")
    ap.add_argument("--json", default=None)
    a = ap.parse_args()

    from uhdvd_data.interp.ensemble import with_ensemble
    from uhdvd_data.interp.methods import BlendMethod, DisMethod, NetworkMethod
    from uhdvd_data.interp.weights_io import PACKAGE_WEIGHTS, load_interp_weights
    from uhdvd_data.render import HELDOUT_PHOTOS, OracleMethod, benchmark_scenes, prepare_pair

    w, h = (int(x) for x in a.size.split("x"))
    scenes = benchmark_scenes(a.scenes, size=(h, w), seed=a.seed)
    methods = {}
    for spec in a.methods.split(","):
        name = spec.removesuffix("-mirror")
        motion = "plain" if name.endswith("-plain") else "fused"
        traj = "linear" if name.endswith("-linear") else "quadratic"
        if name == "blend":
            m = BlendMethod()
        elif name == "oracle":
            m = None  # built per scene below: it needs the scene's exact motion
        elif name in ("dis", "dis-plain", "dis-linear", "dis-bisect"):
            m = DisMethod(motion=motion, trajectory=traj)
        elif name in ("network", "network-plain", "network-linear"):
            path = a.weights or PACKAGE_WEIGHTS
            if not os.path.isfile(path):
                print(f"network: skipped (no weights at {path})")
                continue
            model, meta, sha = load_interp_weights(path)
            m = NetworkMethod(model, weights_sha256=sha, motion=motion, trajectory=traj)
        else:
            ap.error(f"unknown method {name!r}")
        methods[spec] = with_ensemble(m, "mirror") if spec != name and m is not None else m
    res = {n: {"psnr": [], "ssim": [], "time_s": 0.0} for n in methods}
    for si, sc in enumerate(scenes):
        src = {k: q8(sc.render(float(k))) for k in range(-1, a.pairs + 2)}  # with a captured frame either side
        for k in range(a.pairs):
            truth = [q8(sc.render(k + j / a.factor)) for j in range(1, a.factor)]
            for name, m in methods.items():
                t0 = time.time()
                m = OracleMethod(sc) if name == "oracle" else m
                if name == "dis-bisect":
                    outs = bisect_frames(m, src[k], src[k + 1], a.factor)
                else:
                    st = prepare_pair(m, src[k], src[k + 1], float(k), src[k - 1], src[k + 2])
                    outs = [m.frame(st, j / a.factor) for j in range(1, a.factor)]
                res[name]["time_s"] += time.time() - t0
                for o, t in zip(outs, truth):
                    res[name]["psnr"].append(psnr(o, t))
                    res[name]["ssim"].append(ssim(o, t))
        print(f"scene {si + 1}/{len(scenes)}: " + ", ".join(
            f"{n} {np.mean(r['psnr'][-a.factor + 1:]):.2f}" for n, r in res.items()), flush=True)
    n_frames = len(scenes) * a.pairs * (a.factor - 1)
    print(f"\nheld-out photos: {', '.join(HELDOUT_PHOTOS)}; {len(scenes)} scenes x {a.pairs} pair(s) x "
          f"{a.factor - 1} = {n_frames} interpolated frames at {w}x{h}; {time.strftime('%Y-%m-%d')}, CPU: {cpu_model()}")
    print("| method | PSNR (dB) | SSIM | CPU s/frame |")
    print("|---|---|---|---|")
    summary = {}
    for name, r in res.items():
        summary[name] = {"psnr": float(np.mean(r["psnr"])), "ssim": float(np.mean(r["ssim"])),
                         "s_per_frame": r["time_s"] / n_frames, "n": len(r["psnr"])}
        print(f"| {name} | {summary[name]['psnr']:.2f} | {summary[name]['ssim']:.4f} | "
              f"{summary[name]['s_per_frame']:.2f} |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"summary": summary, "scenes": a.scenes, "pairs": a.pairs, "size": a.size,
                       "date": time.strftime("%Y-%m-%d"), "cpu": cpu_model()}, f, indent=2)


if __name__ == "__main__":
    main()
