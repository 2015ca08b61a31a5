"""Set-up of a training run: data, device-dependent defaults, model, optimizer, resume. Returns a `Session`.

Device-dependent defaults ("auto" values of TrainConfig), resolved here and saved in the run's config.yaml:

| setting     | CUDA                                   | CPU (a smoke test)                        |
|-------------|----------------------------------------|-------------------------------------------|
| steps       | 300k (ours: the paper states none)     | 20                                        |
| crop        | 512 (paper)                            | 128                                       |
| decay_every | steps // 4 (released script's ratio)   | steps // 4                                |
| clip_len    | 5, or the longest train clip when all are shorter | the same                  |
| validation  | first 20 frames of every val clip      | first 3 frames of <= 4 clips, 256 centre crop |
"""

from __future__ import annotations

import importlib
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from uhdvd_data.common.device import pick_device, pick_dtype
from uhdvd_data.common.errors import UserError
from uhdvd_data.common.images import read_image

from ..data.clips import ClipDataset
from ..data.loader import infinite_batches
from ..data.manifest import Clip, choose_validation, read_manifests, split_table
from . import checkpoint as ck
from . import ddp
from .config import TrainConfig, save_yaml
from .ema import EMA
from .state import TrainState

CPU_CROP, GPU_CROP = 128, 512
CLIP_LEN = 5  # auto clip length (ours), when the clips are long enough
CPU_STEPS, GPU_STEPS = 20, 300_000
CPU_VAL = {"val_frames": 3, "val_crop": 256, "val_clips": 4}
GPU_VAL = {"val_frames": 20, "val_crop": 0, "val_clips": 0}


@dataclass
class Session:
    cfg: TrainConfig  # resolved (no "auto" values left)
    run: Path
    dist: ddp.DistInfo
    device: torch.device
    dtype: torch.dtype
    channels_last: bool
    raw_model: torch.nn.Module  # the module itself (weights are saved from it)
    model: torch.nn.Module  # raw_model, or its DDP wrapper
    fwd: Any  # model, or torch.compile(model)
    scaler: torch.amp.GradScaler
    state: TrainState
    batches: Any  # iterator source of (epoch, batch_in_epoch, (blur, sharp))
    val_clips: list[Clip]
    multiple: int
    meta: dict
    writer: Any  # TensorBoard SummaryWriter (rank 0) or None
    log: Any  # callable(str)
    smoke: bool  # a CPU run with automatic steps


def build_model(arch: str, kwargs: dict | None = None) -> torch.nn.Module:
    """One of ours by name, or a custom factory given as 'package.module:function'."""
    kwargs = dict(kwargs or {})
    if ":" in arch:
        mod, fn = arch.split(":", 1)
        try:
            return getattr(importlib.import_module(mod), fn)(**kwargs)
        except (ImportError, AttributeError) as e:
            raise UserError(f"--arch {arch}: cannot import it ({e})") from e
    from uhdvd_model.arch import ARCH_NAMES
    from uhdvd_model.arch import build_model as build

    if arch not in ARCH_NAMES:
        raise UserError(f"--arch {arch!r} is unknown (choose from {', '.join(ARCH_NAMES)})")
    return build(arch, **kwargs)


def resolve_crop(cfg: TrainConfig, device: torch.device, frame_hw: tuple[int, int], multiple: int, log) -> int:
    """Auto crop: 512 on CUDA (paper), 128 on CPU, shrunk to the largest multiple that fits the frames."""
    h, w = frame_hw
    if cfg.crop:
        crop = cfg.crop
        if crop % multiple:
            raise UserError(f"--crop {crop} must be a multiple of {multiple} for --arch {cfg.arch}")
        if crop > min(h, w):
            log(f"note: crop {crop} is larger than the frames ({w}x{h}); samples are replicate-padded to {crop}")
        return crop
    crop = GPU_CROP if device.type == "cuda" else CPU_CROP
    fit = max(multiple, (min(h, w) // multiple) * multiple)
    return max(multiple, (min(crop, fit) // multiple) * multiple)


def resolve_clip_len(cfg: TrainConfig, train_clips: list[Clip], log) -> int:
    """Auto clip length: CLIP_LEN, or the longest train clip when every one is shorter (short footage still trains)."""
    if cfg.clip_len:
        return cfg.clip_len
    longest = max(len(c) for c in train_clips)
    if longest >= CLIP_LEN:
        return CLIP_LEN
    log(f"note: the longest training clip has {longest} consecutive pair(s), fewer than the default {CLIP_LEN}; "
        f"training on clips of {longest} (longer footage gives longer clips)")
    return longest


def lr_factor(step: int, cfg: TrainConfig) -> float:
    """Linear warm-up over cfg.warmup steps, then x decay_rate every decay_every steps (StepLR)."""
    warm = min(1.0, (step + 1) / cfg.warmup) if cfg.warmup > 0 else 1.0
    every = cfg.decay_every or max(1, cfg.steps // 4)
    return warm * cfg.decay_rate ** (step // every)


def run_folder(cfg: TrainConfig) -> Path:
    if cfg.out:
        return Path(cfg.out)
    stems = "+".join(Path(m).stem for m in cfg.manifests)
    return Path("runs") / (cfg.name or f"{stems}-{cfg.arch.replace(':', '.')}")


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def sample_weights(dataset: ClipDataset, cfg: TrainConfig) -> list[float] | None:
    """Per-sample weights giving each manifest its share of `manifest_weights` (None = plain shuffling)."""
    if cfg.manifest_weights is None:
        return None
    share = {Path(m).stem: float(w) for m, w in zip(cfg.manifests, cfg.manifest_weights)}
    counts: dict[str, int] = {}
    for clip, _ in dataset.windows:
        counts[clip.source] = counts.get(clip.source, 0) + 1
    return [share[clip.source] / counts[clip.source] for clip, _ in dataset.windows]


def _resolve(cfg: TrainConfig, device: torch.device, dtype: torch.dtype, crop: int, channels_last: bool
             ) -> TrainConfig:
    cuda = device.type == "cuda"
    workers = cfg.workers if cfg.workers >= 0 else (min(8, os.cpu_count() or 1) if cuda else 1)
    steps = cfg.steps or (GPU_STEPS if cuda else CPU_STEPS)
    every = min(2000, max(1, steps // 4))
    val = {k: (getattr(cfg, k) if getattr(cfg, k) >= 0 else (GPU_VAL if cuda else CPU_VAL)[k]) for k in GPU_VAL}
    return cfg.replace(steps=steps, val_every=cfg.val_every or every, ckpt_every=cfg.ckpt_every or every,
                       decay_every=cfg.decay_every or max(1, steps // 4), crop=crop, workers=workers,
                       device=str(device), channels_last=channels_last, **val,
                       dtype={torch.float32: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}[dtype])


def setup(cfg: TrainConfig, resume: bool, dist: ddp.DistInfo, dev_name: str) -> Session:
    device = pick_device(dev_name)
    dtype = pick_dtype(None if cfg.dtype == "auto" else cfg.dtype, device)
    channels_last = device.type == "cuda" if cfg.channels_last is None else bool(cfg.channels_last)
    run = run_folder(cfg)
    master = dist.master

    def log(msg: str) -> None:
        if not master:
            return
        from tqdm import tqdm

        tqdm.write(msg)
        with open(run / "log.txt", "a") as f:
            f.write(msg + "\n")

    # ---- data (validated before anything else)
    clips = read_manifests(cfg.manifests)
    train_clips, val_clips, val_from = choose_validation(clips, cfg.val_fraction, cfg.seed)
    if not train_clips:
        raise UserError(f"{', '.join(cfg.manifests)}: no clips in the 'train' split")
    frame_hw = read_image(train_clips[0].blur[0]).shape[:2]
    if ck.list_checkpoints(run) and not resume:
        raise UserError(f"{run}: already holds checkpoints; pass --resume to continue it or --out for a new run")
    if master:
        run.mkdir(parents=True, exist_ok=True)
    ddp.barrier(dist)
    cfg = cfg.replace(clip_len=resolve_clip_len(cfg, train_clips, log))

    # ---- model, resolved settings, optimizer
    seed_everything(cfg.seed)
    if cfg.init:
        from uhdvd_model.weights import load_weights

        model, meta = load_weights(cfg.init, map_location="cpu")
        init_arch = (meta or {}).get("arch") or getattr(model, "arch_name", None)
        if init_arch and init_arch != cfg.arch:
            log(f"note: --init {cfg.init} holds a {init_arch!r} network; training that architecture")
            cfg = cfg.replace(arch=init_arch)
    else:
        model = build_model(cfg.arch, cfg.arch_kwargs)
    multiple = int(getattr(model, "size_multiple", 1))
    smoke = device.type == "cpu" and not cfg.steps
    cfg = _resolve(cfg, device, dtype, resolve_crop(cfg, device, frame_hw, multiple, log), channels_last)
    if cfg.val_crop and cfg.val_crop % multiple:
        cfg = cfg.replace(val_crop=max(multiple, cfg.val_crop // multiple * multiple))
    model.to(device)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: lr_factor(step, cfg))
    scaler = torch.amp.GradScaler(device.type, enabled=dtype == torch.float16)
    state = TrainState(optimizer, scheduler, scaler, EMA(model, cfg.ema_decay) if (cfg.ema_decay > 0 and master)
                       else None)
    meta = {"arch": cfg.arch, "arch_kwargs": cfg.arch_kwargs, "train_config": cfg.to_dict()}

    # ---- resume
    if resume:
        folder = ck.latest_valid(run, log=log) if master else None
        if dist.enabled:
            import torch.distributed as tdist

            box = [str(folder) if folder else None]
            tdist.broadcast_object_list(box, src=0)
            folder = Path(box[0]) if box[0] else None
        if folder is None:
            log(f"resume: no valid checkpoint in {run}; starting from scratch")
        else:
            ck.load_model_file(model, folder / "model.safetensors")
            if state.ema is not None and (folder / "ema.safetensors").is_file():
                ck.load_model_file(state.ema.module, folder / "ema.safetensors")
            state.load_state_dict(ck.load_state(folder))
            log(f"resume: continuing from {folder} (step {state.step})")
    if master:
        save_yaml(cfg, run / "config.yaml")

    wrapped = model
    if dist.enabled:
        from torch.nn.parallel import DistributedDataParallel as DDP

        wrapped = DDP(model, device_ids=[device.index] if device.type == "cuda" else None)
    dataset = ClipDataset(train_clips, cfg.clip_len, cfg.crop, seed=cfg.seed, augment=True)
    if len(dataset) < cfg.batch_size * dist.world_size:
        raise UserError(f"only {len(dataset)} training samples of {cfg.clip_len} frames; lower --batch-size")
    batches = infinite_batches(dataset, cfg.batch_size, cfg.seed, dist.rank, dist.world_size, cfg.workers,
                               pin_memory=device.type == "cuda", epoch=state.epoch,
                               batch_in_epoch=state.batch_in_epoch, weights=sample_weights(dataset, cfg))
    writer = None
    if master:
        from torch.utils.tensorboard import SummaryWriter

        writer = SummaryWriter(str(run / "tb"), purge_step=state.step if state.step else None)
        _log_start(log, cfg, device, dist, dataset, train_clips, clips, val_from, run, smoke)
    return Session(cfg, run, dist, device, dtype, channels_last, model, wrapped,
                   torch.compile(wrapped) if cfg.compile else wrapped, scaler, state, batches, val_clips, multiple,
                   meta, writer, log, smoke)


def _log_start(log, cfg: TrainConfig, device, dist, dataset, train_clips, clips, val_from, run, smoke) -> None:
    log(f"uhdvd-train: {cfg.arch} on {device} ({cfg.dtype}{', channels_last' if cfg.channels_last else ''}"
        f"{', compiled' if cfg.compile else ''}), {dist.world_size} process(es); crop {cfg.crop}, clip {cfg.clip_len}, "
        f"batch {cfg.batch_size}, {cfg.steps} steps, {len(dataset)} samples from {len(train_clips)} train clip(s); "
        f"run folder {run}")
    for r in split_table(clips).itertuples():
        log(f"  data: {r.source} {r.split}: {r.clips} clip(s), {r.pairs} pairs")
    if cfg.manifest_weights is not None:
        log("  mix: " + ", ".join(f"{Path(m).stem} {w}" for m, w in zip(cfg.manifests, cfg.manifest_weights)))
    frames = "all frames" if not cfg.val_frames else f"first {cfg.val_frames} frame(s)"
    where = "whole frames" if not cfg.val_crop else f"{cfg.val_crop}x{cfg.val_crop} centre crop"
    clips_n = "every clip" if not cfg.val_clips else f"at most {cfg.val_clips} clip(s)"
    log(f"  validation: {val_from}; {frames} of {clips_n}, {where}, every {cfg.val_every} steps")
    if smoke:
        log(f"note: no GPU, so this is a CPU smoke test ({CPU_STEPS} steps at crop {cfg.crop}) that checks the data "
            f"and the chain; the real schedule ({GPU_STEPS} steps at crop {GPU_CROP}) runs on CUDA; --steps N sets it")
    elif device.type == "cpu" and cfg.steps > 5000:
        log(f"note: training on CPU; {cfg.steps} steps will take very long. Use a GPU, or --steps N for a short run")
