"""Does the per-pair interpolation self-check rank windows the way their true blur fidelity does?

Rendered clips with exact 480 fps truth (the scenes of benchmarks/synth_fidelity.py: `--camera smooth` benchmark
scenes and hand-held demo clips of held-out photos). For every window (13 frames centred on captured frame i,
i = 1 .. frames-2) it computes
- the true blur fidelity: PSNR (RGB, 8-bit) of the blur synthesized from the method's interpolated frames against the
  blur from the true 480 fps frames (synth_fidelity's definition);
- the self-check the dataset tools write (synth.quality_run.Checker: frame i predicted from i-1, i+1 at t = 1/2, with
  i-3, i+3 as neighbours, same method), at full size and on copies area-downscaled by each --scales factor (at 4K the
  tools check at long side 1024, a factor of 0.27);
- a naive baseline that needs no interpolation: PSNR between the captured frames i-1 and i+1 (how much changes);
and reports Spearman rank correlations with the fidelity: pooled over every window of a camera type (what a global
--min-check-psnr threshold acts on) and the mean within a clip, plus how many of the worst decile of windows by
fidelity are in the worst decile by each score.

    .venv/bin/python benchmarks/quality_rank.py [--size 640x360] [--frames 10] [--seeds 1,2,3,4]
        [--photos motorcycle,immunohistochemistry,gravel] [--hand-seeds 1,2] [--method dis] [--scales 1,0.5,0.27]
        [--flow-max-side 171]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import synth_fidelity as sf  # noqa: E402

from uhdvd_data.synth import quality as q  # noqa: E402
from uhdvd_data.synth.quality_run import Checker  # noqa: E402


def scaled(img: np.ndarray, scale: float) -> np.ndarray:
    return img if scale >= 1 else q.downscale(img, max(8, round(max(img.shape[:2]) * scale)))


def clip_windows(clip, method, scales: list[float], window: int) -> list[dict]:
    """One dict per window of a rendered clip: fidelity, check PSNR/SSIM per scale, naive baseline."""
    frames = list(clip.frames)
    n = len(frames)
    fid = [sf.psnr(a, b) for a, b in zip(sf.blurs(sf.interpolate(frames, clip.factor, method), clip.factor, window),
                                         sf.blurs(clip.truth, clip.factor, window))]
    centres = list(range(1, n - 1))
    assert len(fid) == len(centres), (len(fid), len(centres))
    out = [{"i": i, "fidelity": f, "naive": q.psnr(frames[i - 1], frames[i + 1])} for i, f in zip(centres, fid)]
    for s in scales:
        small = [scaled(f, s) for f in frames]
        checker = Checker(method)
        t = time.perf_counter()
        for row in out:
            p, ss, reason = checker.run(row["i"], small.__getitem__, lambda j: 0 if 0 <= j < n else None)
            assert reason is None, reason
            row[f"check_psnr@{s:g}"], row[f"check_ssim@{s:g}"] = p, ss
        out[0].setdefault("check_seconds", {})[f"{s:g}"] = time.perf_counter() - t
    return out


def bottom_overlap(score: list[float], truth: list[float]) -> str:
    k = max(1, round(len(truth) / 10))
    worst_t = set(np.argsort(truth, kind="stable")[:k])
    worst_s = set(np.argsort(score, kind="stable")[:k])
    return f"{len(worst_t & worst_s)}/{k}"


def summarize(groups: dict[str, list[list[dict]]], scales: list[float]) -> list[dict]:
    table = []
    for name, clips in groups.items():
        rows = [r for c in clips for r in c]
        fid = [r["fidelity"] for r in rows]
        scores = {f"check_psnr@{s:g}": f"self-check PSNR, scale {s:g}" for s in scales}
        scores.update({f"check_ssim@{scales[0]:g}": f"self-check SSIM, scale {scales[0]:g}",
                       "naive": "naive PSNR(i-1, i+1)"})
        for key, label in scores.items():
            within = [q.spearman([r[key] for r in c], [r["fidelity"] for r in c]) for c in clips]
            within = [w for w in within if not math.isnan(w)]
            table.append({"group": name, "score": label, "windows": len(rows), "clips": len(clips),
                          "spearman_pooled": q.spearman([r[key] for r in rows], fid),
                          "spearman_within_mean": float(np.mean(within)) if within else float("nan"),
                          "worst_decile": bottom_overlap([r[key] for r in rows], fid)})
    return table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="640x360")
    ap.add_argument("--frames", type=int, default=10, help="30 fps frames per clip (windows: frames - 2)")
    ap.add_argument("--seeds", default="1,2,3,4", help="smooth-camera benchmark scenes (empty: none)")
    ap.add_argument("--photos", default="motorcycle,immunohistochemistry,gravel", help="hand-held demo photos")
    ap.add_argument("--hand-seeds", default="1,2", help="hand-held demo seeds (empty: none)")
    ap.add_argument("--motion", default="20,40", help="hand-held background motion range, px per video frame")
    ap.add_argument("--method", default="dis", help="as synth_fidelity --methods (dis, dis-plain, network, blend)")
    ap.add_argument("--scales", default="1,0.5,0.27", help="check resolutions (factor of the frame size)")
    ap.add_argument("--window", type=int, default=13)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--weights", default=None)
    ap.add_argument("--flow-max-side", type=int, default=None,
                    help="the method's flow resolution (default 1024); e.g. 171 at 640x360 mimics 4K (flows at "
                    "1024 px, 0.27 of the frame), where the tools check at 1024 px: --scales 1,0.27")
    ap.add_argument("--json", default=None, help="write the per-window values and the table here")
    a = ap.parse_args()

    w, h = (int(v) for v in a.size.split("x"))
    scales = [float(s) for s in a.scales.split(",")]
    motion = tuple(float(v) for v in a.motion.split(","))
    todo = [("smooth", "scene", int(s)) for s in a.seeds.split(",") if s]
    todo += [("handheld", p, int(s)) for p in a.photos.split(",") for s in a.hand_seeds.split(",") if p and s]
    groups: dict[str, list[list[dict]]] = {}
    per_clip = {}
    t0 = time.perf_counter()
    for cam, photo, seed in todo:
        clip = sf.make_clip(cam, photo, (w, h), a.frames, seed, motion)
        method = sf.make_method(a.method, a.device, a.weights)
        if a.flow_max_side:
            method.flow_max_side = a.flow_max_side
        t = time.perf_counter()
        rows = clip_windows(clip, method, scales, a.window)
        groups.setdefault(cam, []).append(rows)
        per_clip[f"{cam}/{photo}/{seed}"] = rows
        fid = [r["fidelity"] for r in rows]
        chk = [r[f"check_psnr@{scales[0]:g}"] for r in rows]
        print(f"{cam}/{photo}/{seed}: fidelity {np.min(fid):.2f}..{np.max(fid):.2f} dB, check {np.min(chk):.2f}.."
              f"{np.max(chk):.2f} dB, within-clip Spearman {q.spearman(chk, fid):+.2f} "
              f"({time.perf_counter() - t:.0f} s)", flush=True)
    if len(groups) > 1:
        groups["all"] = [c for cs in list(groups.values()) for c in cs]
    table = summarize(groups, scales)
    print(f"\n{a.method}, {a.size}, {a.frames} frames per clip, window {a.window} ({time.perf_counter() - t0:.0f} s)")
    print("| clips | score | windows | Spearman pooled | Spearman within clip (mean) | worst decile found |")
    print("|---|---|---|---|---|---|")
    for t in table:
        print(f"| {t['group']} ({t['clips']}) | {t['score']} | {t['windows']} | {t['spearman_pooled']:+.2f} | "
              f"{t['spearman_within_mean']:+.2f} | {t['worst_decile']} |")
    secs = {}
    for rows in per_clip.values():
        for k, v in rows[0].get("check_seconds", {}).items():
            secs[k] = secs.get(k, 0.0) + v
    n_win = sum(len(r) for r in per_clip.values())
    print("self-check seconds per window by scale: " + ", ".join(f"{k}: {v / n_win:.2f}" for k, v in secs.items()))
    if a.json:
        Path(a.json).write_text(json.dumps({"table": table, "windows": per_clip, "args": vars(a)}, indent=1) + "\n")


if __name__ == "__main__":
    main()
