"""Training loop for the interpolation network (`uhdvd-data train-interp`).

Samples:
  * synthetic truth: a photo under a moving camera with an independently moving occluder (uhdvd_data.render);
    frames at 0 and 1 (quantised to 8 bit like real footage) and the exact truth at a random t in (0, 1), plus the
    captured frames at -1 and 2 for quadratic trajectories (`trajectory`, as at inference);
  * user footage: consecutive triplets at the native rate (60 fps footage sub-sampled by 2 so gaps match 30 fps);
    the middle frame is the truth at t = 0.5. Static triplets, triplets containing a cut and (VFR clips, read as
    recorded) triplets whose middle frame is not halfway in time are rejected.
Synthetic samples are rendered at `render` size (default 640x360, like the benchmark), flows are computed on the
whole frame (as at inference), both frames are pre-warped, then `crops_per_sample` random crops are used.
Footage samples are crops with a margin around the training crop. Augmentation: flips,
temporal reversal (t -> 1 - t). Loss: Charbonnier (default) or MSE (`--loss mse`). Optimiser: Adam with cosine decay.
Checkpoints: <out>/last.safetensors (+ .json) weights and <out>/state.pt (optimizer, step, RNG; tensors and plain
containers only, loaded with weights_only=True). `--resume` continues from state.pt.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch

from ..common.atomic import write_text
from ..render import TRAIN_PHOTOS, random_scene
from . import motion as motionmod
from .net import DEFAULT_K, DEFAULT_WIDTHS, InterpNet, stand_in_candidate
from .scenes import is_cut
from .weights_io import load_interp_weights, save_interp_weights

MARGIN = 32


@dataclass
class TrainConfig:
    out: str = "runs/interp"
    steps: int = 2000
    crop: int = 128
    batch: int = 8
    lr: float = 1e-3
    seed: int = 0
    device: str = "cpu"
    k: int = DEFAULT_K
    widths: tuple = DEFAULT_WIDTHS
    footage: list = field(default_factory=list)
    demo_photos: int = 0  # 0 = all training photos
    footage_ratio: float = 0.5  # fraction of a batch from footage when footage is given
    motion_max: float = 48.0  # px per source interval at the render size
    nonrigid: float = 0.0  # share of synthetic scenes whose occluder bends (render.scene occ_wave: non-rigid truth)
    render: tuple = (360, 640)  # synthetic frames are rendered at this size (flows on the whole frame)
    crops_per_sample: int = 4
    time_budget_s: float = 0.0  # stop (and save) after this many seconds; 0 = no limit
    log_every: int = 20
    ckpt_every: int = 200
    init: str | None = None  # start from these weights
    t_gate: bool = True  # residuals scaled by 4 t (1 - t) (see net.InterpNet)
    motion: str = "fused"  # pre-warp motion (interp.motion): fused | plain; use the one you interpolate with
    trajectory: str = "quadratic"  # fused-motion trajectories (interp.motion.TRAJECTORIES), as for interpolation
    loss: str = "charbonnier"  # charbonnier | mse (PSNR is dominated by the few large errors around movers)
    layer: bool = True  # the camera-layer candidate (net.InterpNet layer=True); an --init network without it is extended


def _charbonnier(a, b, eps=1e-3):
    return torch.sqrt((a - b) ** 2 + eps * eps).mean()


LOSSES = {"charbonnier": _charbonnier, "mse": torch.nn.functional.mse_loss}


def _q8(x: np.ndarray) -> np.ndarray:
    return (np.clip(x, 0, 1) * 255 + 0.5).astype(np.uint8)


MAX_SIDE = 1280  # footage frames are area-downscaled to this long side before they are kept in memory


def _footage_frame(rgb: np.ndarray) -> np.ndarray:
    """8-bit, long side <= MAX_SIDE (a 4K frame: 1280x720, 2.8 MB instead of 25 MB)."""
    if rgb.dtype == np.uint16:
        rgb = (rgb >> 8).astype(np.uint8)
    h, w = rgb.shape[:2]
    if max(h, w) > MAX_SIDE:
        s = MAX_SIDE / max(h, w)
        rgb = cv2.resize(rgb, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
    return rgb


class FootageTriplets:
    """Random crops of real frame-drop triplets (frames i, i+2 in, i+1 the truth) from user clips, loaded once into
    memory: at most max_per_clip + 2 frames per clip, each downscaled to a long side <= MAX_SIDE (bounded memory
    for 4K clips: ~0.2 GB per clip at the defaults). Frames are taken as recorded (a VFR clip is not put on a grid,
    which would repeat frames), and a triplet whose middle frame is not halfway in time (within 10 % of the
    interval: a dropped frame on either side) is left out."""

    def __init__(self, paths: list, rng: np.random.Generator, size: int, max_per_clip: int = 64):
        from ..video import find_videos, open_video

        self.items: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.rejected = {"static": 0, "cut": 0, "uneven": 0}
        for p in find_videos(paths):
            with open_video(p) as v:
                step = 2 if v.info.fps >= 45 else 1
                frames, times = [], []
                for k, (t, rgb) in enumerate(v.timed()):
                    if k % step == 0:
                        frames.append(_footage_frame(rgb))
                        times.append(t)
                    if len(frames) >= max_per_clip + 2:
                        break
            for i in range(0, len(frames) - 2):
                a, b, c = frames[i : i + 3]
                if min(a.shape[:2]) < size:
                    continue
                ta, tb, tc = times[i : i + 3]
                if abs((tb - ta) - (tc - tb)) > 0.1 * (tc - ta) / 2:
                    self.rejected["uneven"] += 1
                    continue
                if np.abs(a.astype(np.int16) - c.astype(np.int16)).mean() < 1.0:
                    self.rejected["static"] += 1
                    continue
                if is_cut(a, b) or is_cut(b, c):
                    self.rejected["cut"] += 1
                    continue
                self.items.append((a, b, c))
        self.rng = rng
        self.size = size

    def __len__(self) -> int:
        return len(self.items)

    def sample(self):
        a, b, c = self.items[int(self.rng.integers(len(self.items)))]
        h, w = a.shape[:2]
        s = self.size
        y = int(self.rng.integers(0, h - s + 1))
        x = int(self.rng.integers(0, w - s + 1))
        crop = [f[y : y + s, x : x + s] for f in (a, b, c)]
        return crop[0], crop[2], crop[1].astype(np.float32) / 255.0, 0.5


def synthetic_sample(rng: np.random.Generator, size, photos, motion_max: float, nonrigid: float = 0.0):
    """(f0, f1, truth_t, t, (f_-1, f2)) rendered at `size` (int or (H, W)); the captured frames (at -1, 0, 1, 2)
    quantised to 8 bit like real footage, the outer two for quadratic trajectories."""
    hw = (size, size) if isinstance(size, int) else tuple(size)
    sc = random_scene(rng, hw, photos=photos, motion=(0.0, motion_max), wave_prob=nonrigid)
    t = float(rng.uniform(0.03, 0.97))
    return _q8(sc.render(0.0)), _q8(sc.render(1.0)), sc.render(t), t, (_q8(sc.render(-1.0)), _q8(sc.render(2.0)))


def _augment(rng: np.random.Generator, frames: list, ft: np.ndarray, t: float) -> tuple[list, np.ndarray, float]:
    """Temporal reversal and flips, the same for all captured frames (in time order) and the truth."""
    if rng.random() < 0.5:
        frames, t = frames[::-1], 1.0 - t
    if rng.random() < 0.5:
        frames, ft = [f[:, ::-1] for f in frames], ft[:, ::-1]
    if rng.random() < 0.5:
        frames, ft = [f[::-1] for f in frames], ft[::-1]
    return [np.ascontiguousarray(f) for f in frames], np.ascontiguousarray(ft), t


def sample_motion(frames: list, device, motion: str, trajectory: str) -> motionmod.PairMotion:
    """The motion of the middle pair of `frames` ([f0, f1] or [f_-1, f0, f1, f2]), as interpolation computes it."""
    before, f0, f1, after = frames if len(frames) == 4 else (None, *frames, None)
    return motionmod.with_neighbours(lambda a, b: motionmod.pair_motion(a, b, device, motion=motion), f0, f1, before,
                                     after, trajectory)


def make_batch(samples, crop: int, rng: np.random.Generator, device, crops_per_sample: int = 1, motion: str = "fused",
               trajectory: str = "quadratic"):
    """Flows on each whole sample (as at inference, where flow sees the full frame; with the captured frames either
    side, when the sample has them, for quadratic trajectories), pre-warp, then `crops_per_sample` random crops
    anywhere in the frame. Returns the network inputs (w0, w1, x0, x1, weight, camera-layer candidate (B,8,H,W); a
    sample without a layer gets the fused pre-warp as stand-in) and the truth."""
    cols: list[list[torch.Tensor]] = [[] for _ in range(7)]
    ts = []
    for f0, f1, ft, t, *outer in samples:
        frames = [outer[0][0], f0, f1, outer[0][1]] if outer and outer[0] is not None else [f0, f1]
        frames, ft, t = _augment(rng, frames, ft, t)
        f0, f1 = frames[len(frames) // 2 - 1], frames[len(frames) // 2]
        pair = sample_motion(frames, device, motion, trajectory)
        x0 = torch.from_numpy(f0).permute(2, 0, 1)[None].float().to(device) / 255.0
        x1 = torch.from_numpy(f1).permute(2, 0, 1)[None].float().to(device) / 255.0
        w0, w1, wt = motionmod.prewarp(x0, x1, pair, t)
        cand = motionmod.layer_prewarp(x0, x1, pair, t)
        if cand is None:
            cand = stand_in_candidate(w0, w1)
        gt = torch.from_numpy(ft).permute(2, 0, 1)[None].float().to(device)
        h, w = f0.shape[:2]
        for _ in range(crops_per_sample):  # anywhere, image edges included (inference sees them too)
            y0 = int(rng.integers(0, h - crop + 1))
            xs0 = int(rng.integers(0, w - crop + 1))
            for col, tens in zip(cols, (w0, w1, x0, x1, wt, cand, gt)):
                col.append(tens[:, :, y0 : y0 + crop, xs0 : xs0 + crop])
            ts.append(t)
    out = [torch.cat(c, 0) for c in cols]
    return out, torch.tensor(ts, dtype=torch.float32, device=device)


def train(cfg: TrainConfig, resume: bool = False, log=print) -> dict:
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    device = torch.device(cfg.device)
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    photos = TRAIN_PHOTOS[: cfg.demo_photos] if cfg.demo_photos else TRAIN_PHOTOS
    if cfg.init:
        model, _, _ = load_interp_weights(cfg.init)
        model.t_gate = cfg.t_gate
        if cfg.layer:
            model = model.with_layer_inputs()
    else:
        model = InterpNet(k=cfg.k, widths=tuple(cfg.widths), t_gate=cfg.t_gate, layer=cfg.layer)
    model.to(device).train()
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    step = 0
    history: list[dict] = []
    elapsed_before = 0.0
    state_path = out / "state.pt"
    if resume and state_path.is_file():
        st = torch.load(state_path, map_location="cpu", weights_only=True)
        m2, _, _ = load_interp_weights(out / "last.safetensors")
        model.load_state_dict(m2.state_dict())
        model.t_gate = m2.t_gate
        opt.load_state_dict(st["optimizer"])
        step = int(st["step"])
        history = json.loads(st["history"])
        elapsed_before = float(st.get("elapsed_s", 0.0))
        rng = np.random.default_rng([cfg.seed, step])
        torch.manual_seed(cfg.seed + step)
        log(f"resumed from {state_path} at step {step}")
    size = cfg.crop + 2 * MARGIN
    footage = None
    if cfg.footage:
        footage = FootageTriplets(cfg.footage, rng, size)
        r = footage.rejected
        log(f"footage: {len(footage)} triplets ({r['static']} static, {r['cut']} cut, {r['uneven']} uneven in time "
            f"rejected)")
        if not len(footage):
            footage = None
    t_start = time.time()

    def lr_at(s):
        # cosine decay over the step budget, or over the time budget when that runs out first
        prog = s / max(1, cfg.steps)
        if cfg.time_budget_s:
            prog = max(prog, (elapsed_before + time.time() - t_start) / cfg.time_budget_s)
        return cfg.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(1.0, prog))))

    def save():
        elapsed = elapsed_before + time.time() - t_start
        meta = {"render": list(cfg.render), "crops_per_sample": cfg.crops_per_sample, "motion_max": cfg.motion_max,
                "init": cfg.init, "steps": step, "wall_time_s": round(elapsed, 1), "device": str(device), "crop": cfg.crop,
                "batch": cfg.batch, "lr": cfg.lr, "seed": cfg.seed, "photos": list(photos),
                "footage": [str(p) for p in cfg.footage], "loss": cfg.loss, "motion": cfg.motion, "nonrigid": cfg.nonrigid,
                "trajectory": cfg.trajectory,
                "layer": model.layer}
        save_interp_weights(model, out / "last.safetensors", meta)
        tmp = out / ".tmp-state.pt"
        torch.save({"optimizer": opt.state_dict(), "step": step, "history": json.dumps(history),
                    "elapsed_s": elapsed}, tmp)
        tmp.replace(state_path)
        write_text(out / "history.json", json.dumps(history) + "\n")

    run_loss = run_dis = 0.0
    n_run = 0
    while step < cfg.steps:
        if cfg.time_budget_s and time.time() - t_start > cfg.time_budget_s:
            log(f"time budget reached at step {step}")
            break
        samples = []
        cps = max(1, min(cfg.crops_per_sample, cfg.batch))
        for _ in range(max(1, cfg.batch // cps)):
            if footage is not None and rng.random() < cfg.footage_ratio:
                samples.append(footage.sample())
            else:
                samples.append(synthetic_sample(rng, cfg.render, photos, cfg.motion_max, cfg.nonrigid))
        (w0, w1, x0, x1, wt, cand, gt), ts = make_batch(samples, cfg.crop, rng, device, crops_per_sample=cps,
                                                  motion=cfg.motion, trajectory=cfg.trajectory)
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        pred = model(w0, w1, x0, x1, ts, wt, cand=cand if model.layer else None)
        loss = LOSSES[cfg.loss](pred, gt)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            dis = LOSSES[cfg.loss](motionmod.blend(w0, w1, wt), gt)
        step += 1
        run_loss += float(loss.detach())
        run_dis += float(dis)
        n_run += 1
        if step % cfg.log_every == 0 or step == cfg.steps:
            rec = {"step": step, "loss": run_loss / n_run, "dis_loss": run_dis / n_run, "lr": lr_at(step),
                   "elapsed_s": round(elapsed_before + time.time() - t_start, 1)}
            history.append(rec)
            log(f"step {step}: loss {rec['loss']:.5f} (dis {rec['dis_loss']:.5f}) lr {rec['lr']:.2e} "
                f"{rec['elapsed_s']:.0f}s")
            run_loss = run_dis = 0.0
            n_run = 0
        if step % cfg.ckpt_every == 0:
            save()
    save()
    return {"steps": step, "out": str(out), "history": history}
