"""The UHDVD training loop: one readable function, `train(cfg)`.

One step = one batch of clips (B clips x T consecutive frames). For each frame the model sees the blurry frame and
the previous deblurred frame (the blurry frame itself at clip start); the loss is the paper's multi-scale MSE + TV.
With `bptt="detach"` (default, as the released code) the previous output is detached and each frame's loss is
back-propagated at once (memory of one frame); with `"full"` gradients flow through the whole clip. Gradients of the
T frames are averaged into one optimizer step. Rank 0 validates, logs and writes checkpoints.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import os
import random
import time
import warnings
from pathlib import Path

import numpy as np
import torch

from uhdvd_data.common.device import autocast, pick_device, pick_dtype
from uhdvd_data.common.errors import UserError
from uhdvd_data.common.images import read_image

from ..data.clips import ClipDataset
from ..data.loader import WaitMeter, infinite_batches
from ..data.manifest import choose_validation, read_manifest
from . import checkpoint as ck
from . import ddp
from .config import TrainConfig, save_yaml, validate
from .curves import write_curves
from .ema import EMA
from .losses import multiscale_loss
from .validate import run_validation

CPU_CROP, GPU_CROP = 256, 512
CPU_STEPS, GPU_STEPS = 50, 300_000  # auto --steps: a short CPU run (~30 min on 2 cores at crop 256); paper schedule on CUDA


# ----------------------------------------------------------------------------------------------------------- set-up
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
    """Auto crop: 512 on CUDA (paper), 256 on CPU, shrunk to the largest multiple that fits the frames."""
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


def lr_factor(step: int, cfg: TrainConfig) -> float:
    """Linear warm-up over cfg.warmup steps, then x decay_rate every decay_every steps (StepLR)."""
    warm = min(1.0, (step + 1) / cfg.warmup) if cfg.warmup > 0 else 1.0
    return warm * cfg.decay_rate ** (step // cfg.decay_every)


def run_folder(cfg: TrainConfig) -> Path:
    if cfg.out:
        return Path(cfg.out)
    return Path("runs") / (cfg.name or f"{Path(cfg.manifest).stem}-{cfg.arch.replace(':', '.')}")


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


# ------------------------------------------------------------------------------------------------------ validation
# ------------------------------------------------------------------------------------------------------------ train
def train(cfg: TrainConfig, resume: bool = False, progress: bool = True) -> dict:
    """Train per `cfg`; returns a summary dict (also written to the log)."""
    validate(cfg)
    dist, dev_name = ddp.setup(cfg.device)
    try:
        return _train(cfg, resume, progress, dist, dev_name)
    finally:
        ddp.cleanup(dist)


def _train(cfg: TrainConfig, resume: bool, progress: bool, dist: ddp.DistInfo, dev_name: str) -> dict:
    device = pick_device(dev_name)
    dtype = pick_dtype(None if cfg.dtype == "auto" else cfg.dtype, device)
    channels_last = device.type == "cuda" if cfg.channels_last is None else bool(cfg.channels_last)
    run = run_folder(cfg)
    master = dist.master
    log_lines: list[str] = []

    def log(msg: str) -> None:
        if not master:
            return
        from tqdm import tqdm

        tqdm.write(msg)
        log_lines.append(msg)
        with open(run / "log.txt", "a") as f:
            f.write(msg + "\n")

    # ---- data (validated before anything else)
    clips = read_manifest(cfg.manifest)
    train_clips, val_clips, val_from = choose_validation(clips, cfg.val_fraction, cfg.seed)
    if not train_clips:
        raise UserError(f"{cfg.manifest}: no clips in the 'train' split")
    first = read_image(train_clips[0].blur[0])
    frame_hw = first.shape[:2]

    # ---- run folder
    found = ck.list_checkpoints(run)
    if found and not resume:
        raise UserError(f"{run}: already holds checkpoints; pass --resume to continue it or --out for a new run")
    if master:
        run.mkdir(parents=True, exist_ok=True)
    ddp.barrier(dist)

    # ---- model
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
    crop = resolve_crop(cfg, device, frame_hw, multiple, log)
    workers = cfg.workers if cfg.workers >= 0 else (min(8, os.cpu_count() or 1) if device.type == "cuda" else 1)
    auto_steps = not cfg.steps
    steps = cfg.steps or (GPU_STEPS if device.type == "cuda" else CPU_STEPS)
    every = min(2000, max(1, steps // 4))
    cfg = cfg.replace(steps=steps, val_every=cfg.val_every or every, ckpt_every=cfg.ckpt_every or every,
                      crop=crop, workers=workers, device=str(device), channels_last=channels_last,
                      dtype={torch.float32: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}[dtype])
    model.to(device)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    raw_model = model
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, cfg))
    scaler = torch.amp.GradScaler(device.type, enabled=dtype == torch.float16)
    ema = EMA(raw_model, cfg.ema_decay) if (cfg.ema_decay > 0 and master) else None
    meta = {"arch": cfg.arch, "arch_kwargs": cfg.arch_kwargs, "train_config": cfg.to_dict()}

    # ---- resume
    step, epoch, batch_in_epoch = 0, 0, 0
    history = {"loss": [], "val": []}
    bad_total = 0
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
            ck.load_model_file(raw_model, folder / "model.safetensors")
            st = ck.load_state(folder)
            optimizer.load_state_dict(st["optimizer"])
            scheduler.load_state_dict(st["scheduler"])
            scaler.load_state_dict(st["scaler"])
            step, epoch, batch_in_epoch = st["step"], st["epoch"], st["batch_in_epoch"]
            history, bad_total = st["history"], st["bad_total"]
            if ema is not None and (folder / "ema.safetensors").is_file():
                ck.load_model_file(ema.module, folder / "ema.safetensors")
                ema.load_state_dict(st["ema"])
            ck.set_rng_state(st["rng"])
            log(f"resume: continuing from {folder} (step {step})")
    if master:
        save_yaml(cfg, run / "config.yaml")

    if dist.enabled:
        from torch.nn.parallel import DistributedDataParallel as DDP

        model = DDP(model, device_ids=[device.index] if device.type == "cuda" else None)
    fwd = torch.compile(model) if cfg.compile else model

    dataset = ClipDataset(train_clips, cfg.clip_len, crop, seed=cfg.seed, augment=True)
    if len(dataset) < cfg.batch_size * dist.world_size:
        raise UserError(f"only {len(dataset)} training samples of {cfg.clip_len} frames; lower --batch-size")
    batches = infinite_batches(dataset, cfg.batch_size, cfg.seed, dist.rank, dist.world_size, workers,
                               pin_memory=device.type == "cuda", epoch=epoch, batch_in_epoch=batch_in_epoch)

    # ---- logging
    writer = None
    if master:
        from torch.utils.tensorboard import SummaryWriter

        writer = SummaryWriter(str(run / "tb"), purge_step=step if step else None)
        log(f"uhdvd-train: {cfg.arch} on {device} ({cfg.dtype}{', channels_last' if channels_last else ''}"
            f"{', compiled' if cfg.compile else ''}), {dist.world_size} process(es); crop {crop}, clip {cfg.clip_len}, "
            f"batch {cfg.batch_size}, {len(dataset)} samples from {len(train_clips)} train clip(s); "
            f"validation: {val_from}; run folder {run}")
        if device.type == "cpu" and auto_steps:
            log(f"note: no GPU, so this is a short CPU run ({CPU_STEPS} steps at crop {crop}); "
                f"the paper's schedule ({GPU_STEPS} steps, crop 512) runs on CUDA; --steps N sets it")
        if device.type == "cpu" and cfg.steps > 5000:
            log(f"note: training on CPU; {cfg.steps} steps will take very long. Use a GPU, or --steps N for a "
                f"short run")
    from tqdm import tqdm

    bar = tqdm(total=cfg.steps, initial=step, unit="it", dynamic_ncols=True, mininterval=1.0,
               disable=not (master and progress), desc="train")

    # ---- the loop
    delay = float(os.environ.get("UHDVD_TEST_STEP_DELAY", "0") or 0)  # tests only: widen the kill window
    meter = WaitMeter()
    it = iter(batches)
    bad_run, run_loss, run_n = 0, 0.0, 0
    t_start, step0 = time.perf_counter(), step
    first_loss = history["loss"][0][1] if history["loss"] else None
    model.train()
    while step < cfg.steps:
        epoch, batch_in_epoch, (blur, sharp) = meter.next(it)
        blur = blur.to(device, non_blocking=True)
        sharp = sharp.to(device, non_blocking=True)
        T = blur.shape[1]
        optimizer.zero_grad(set_to_none=True)
        prev, total, parts_sum, clip_losses = None, 0.0, {}, []
        for t in range(T):
            b, s = blur[:, t], sharp[:, t]
            if channels_last:
                b, s = b.contiguous(memory_format=torch.channels_last), s.contiguous(memory_format=torch.channels_last)
            if prev is None:
                prev = b
            sync = dist.enabled and cfg.bptt == "detach" and t < T - 1
            with model.no_sync() if sync else contextlib.nullcontext():
                with autocast(device, dtype):
                    outs = fwd(b, prev)
                loss, parts = multiscale_loss(outs, s, cfg.scale_weights, cfg.tv_weight)
                if cfg.bptt == "detach":
                    scaler.scale(loss / T).backward()
                else:
                    clip_losses.append(loss)
            prev = outs[0].float().detach() if cfg.bptt == "detach" else outs[0].float()
            total += loss.detach()
            for k, v in parts.items():
                parts_sum[k] = parts_sum.get(k, 0.0) + v / T
        if cfg.bptt == "full":
            scaler.scale(torch.stack(clip_losses).mean()).backward()
        loss_val = float(total) / T
        if ddp.any_true(not math.isfinite(loss_val), dist, device):
            optimizer.zero_grad(set_to_none=True)
            bad_run += 1
            bad_total += 1
            if bad_run >= cfg.max_bad_steps:
                raise UserError(f"stopped: the loss was NaN/inf on {bad_run} consecutive steps (up to step {step + 1}; "
                                f"{bad_total} in total); lower --lr, use --dtype bf16/fp32, or check the data")
            log(f"step {step + 1}: loss is {loss_val}; step skipped ({bad_total} skipped so far)")
        else:
            bad_run = 0
            if cfg.grad_clip > 0:
                scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            scaler.step(optimizer)
            scaler.update()
            if ema is not None:
                ema.update(raw_model)
            run_loss += loss_val
            run_n += 1
        with warnings.catch_warnings():  # a skipped step calls the scheduler without optimizer.step()
            warnings.simplefilter("ignore", UserWarning)
            scheduler.step()
        step += 1
        bar.update(1)
        if delay:
            time.sleep(delay)

        if master and (step % cfg.log_every == 0 or step == cfg.steps) and run_n:
            avg = run_loss / run_n
            first_loss = avg if first_loss is None else first_loss
            history["loss"].append((step, avg))
            bar.set_postfix(loss=f"{avg:.4g}", wait=f"{meter.fraction:.0%}")
            writer.add_scalar("train/loss", avg, step)
            for k, v in parts_sum.items():
                writer.add_scalar(f"train/{k}", float(v), step)
            writer.add_scalar("train/lr", scheduler.get_last_lr()[0], step)
            writer.add_scalar("train/data_wait_fraction", meter.fraction, step)
            rate = (step - step0) / max(1e-9, time.perf_counter() - t_start)
            line = (f"step {step}/{cfg.steps}: loss {avg:.5g}, lr {scheduler.get_last_lr()[0]:.3g}, "
                    f"{rate:.3g} it/s, data wait {meter.fraction:.0%}")
            with open(run / "log.txt", "a") as f:
                f.write(line + "\n")
            if not progress:
                print(line, flush=True)
            run_loss, run_n = 0.0, 0

        if step % cfg.val_every == 0 or step == cfg.steps:
            if master and val_clips:
                p, b = run_validation(raw_model, val_clips, device, dtype, multiple, cfg.val_frames)
                history["val"].append((step, p, b))
                writer.add_scalar("val/psnr", p, step)
                writer.add_scalar("val/psnr_blurry_input", b, step)
                log(f"step {step}: validation PSNR {p:.2f} dB (blurry input {b:.2f} dB, {p - b:+.2f} dB); "
                    f"train loss {history['loss'][-1][1] if history['loss'] else float('nan'):.4g}")
                if p >= max((v[1] for v in history["val"]), default=-math.inf):
                    from .checkpoint import save_model_file

                    save_model_file(raw_model, run / ".tmp-best.safetensors", meta)
                    os.replace(run / ".tmp-best.safetensors", run / "best.safetensors")
                    os.replace(run / ".tmp-best.json", run / "best.json")
            if master:
                write_curves(run / "curves.png", history, f"{run.name}: {cfg.arch}, crop {crop}")
            ddp.barrier(dist)

        if step % cfg.ckpt_every == 0 or step == cfg.steps:
            if master:
                state = {"step": step, "epoch": epoch, "batch_in_epoch": batch_in_epoch,
                         "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
                         "scaler": scaler.state_dict(), "rng": ck.rng_state(), "history": history,
                         "bad_total": bad_total, "ema": ema.state_dict() if ema else {}}
                folder = ck.save_checkpoint(run, step, raw_model, state, meta, ema.module if ema else None,
                                            keep=cfg.keep_ckpts)
                ck.publish(folder, run, {"model": "weights", **({"ema": "ema"} if ema else {})})
            ddp.barrier(dist)
    bar.close()

    elapsed = time.perf_counter() - t_start
    summary = {
        "run": str(run), "steps": step, "steps_this_session": step - step0,
        "it_per_s": (step - step0) / elapsed if elapsed > 0 else 0.0, "wall_s": elapsed,
        "data_wait_fraction": meter.fraction, "first_loss": first_loss,
        "last_loss": history["loss"][-1][1] if history["loss"] else None,
        "val_psnr": history["val"][-1][1] if history["val"] else None,
        "val_psnr_blurry": history["val"][-1][2] if history["val"] else None,
        "skipped_steps": bad_total, "weights": str(run / "weights.safetensors"),
    }
    if master:
        writer.close()
        log(f"done: {step} steps ({summary['it_per_s']:.2f} it/s this session, data wait "
            f"{summary['data_wait_fraction']:.0%}); loss {summary['first_loss']} -> {summary['last_loss']}; "
            f"weights {run / 'weights.safetensors'}" + (f", EMA {run / 'ema.safetensors'}" if ema else "")
            + f"; curves {run / 'curves.png'}")
    return summary
