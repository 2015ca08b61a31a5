"""The UHDVD training loop: `train(cfg)` = set up a `Session`, then `train_step` / `log_step` /
`validate_and_keep_best` / `save_checkpoint` until the step budget is spent.

One step = one batch of clips (B clips x T consecutive frames). For each frame the model sees the blurry frame and
the previous deblurred frame (the blurry frame itself at clip start); the loss is the paper's multi-scale MSE + TV.
With `bptt="detach"` (default, as the released code) the previous output is detached and each frame's loss is
back-propagated at once (memory of one frame); with `"full"` gradients flow through the whole clip. Gradients of the
T frames are averaged into one optimizer step. Rank 0 validates, logs and writes checkpoints. Validation never reads
the `test` split (data.manifest.choose_validation).
"""

from __future__ import annotations

import contextlib
import math
import os
import time
import warnings
from dataclasses import dataclass

import torch

from uhdvd_data.common.device import autocast
from uhdvd_data.common.errors import UserError

from ..data.loader import WaitMeter
from . import checkpoint as ck
from . import ddp
from .config import TrainConfig, validate
from .curves import write_curves
from .losses import multiscale_loss
from .setup import Session, lr_factor, run_folder, setup  # noqa: F401  (lr_factor, run_folder: public API)
from .validate import run_validation


# ------------------------------------------------------------------------------------------------------------- step
@dataclass
class StepResult:
    loss: float  # mean over the T frames; NaN/inf when the step was skipped
    parts: dict  # loss parts (mse1..4, tv, tv_term), means over the T frames


def train_step(s: Session, blur: torch.Tensor, sharp: torch.Tensor) -> StepResult:
    """Forward/backward over the T frames of the batch, then one optimizer step (skipped when the loss is not finite)."""
    cfg, st, dev = s.cfg, s.state, s.device
    blur, sharp = blur.to(dev, non_blocking=True), sharp.to(dev, non_blocking=True)
    T = blur.shape[1]
    st.optimizer.zero_grad(set_to_none=True)
    prev, total, parts_sum, clip_losses = None, 0.0, {}, []
    for t in range(T):
        b, g = blur[:, t], sharp[:, t]
        if s.channels_last:
            b, g = b.contiguous(memory_format=torch.channels_last), g.contiguous(memory_format=torch.channels_last)
        if prev is None:
            prev = b
        no_sync = s.dist.enabled and cfg.bptt == "detach" and t < T - 1
        with s.model.no_sync() if no_sync else contextlib.nullcontext():
            with autocast(dev, s.dtype):
                outs = s.fwd(b, prev)
            loss, parts = multiscale_loss(outs, g, cfg.scale_weights, cfg.tv_weight)
            if cfg.bptt == "detach":
                s.scaler.scale(loss / T).backward()
            else:
                clip_losses.append(loss)
        prev = outs[0].float().detach() if cfg.bptt == "detach" else outs[0].float()
        total += loss.detach()
        for k, v in parts.items():
            parts_sum[k] = parts_sum.get(k, 0.0) + v / T
    if cfg.bptt == "full":
        s.scaler.scale(torch.stack(clip_losses).mean()).backward()
    loss_val = float(total) / T
    if ddp.any_true(not math.isfinite(loss_val), s.dist, dev):
        st.optimizer.zero_grad(set_to_none=True)
    else:
        if cfg.grad_clip > 0:
            s.scaler.unscale_(st.optimizer)
            torch.nn.utils.clip_grad_norm_(s.model.parameters(), cfg.grad_clip)
        s.scaler.step(st.optimizer)
        s.scaler.update()
        if st.ema is not None:
            st.ema.update(s.raw_model)
    with warnings.catch_warnings():  # a skipped step calls the scheduler without optimizer.step()
        warnings.simplefilter("ignore", UserWarning)
        st.scheduler.step()
    st.step += 1
    return StepResult(loss_val, {k: float(v) for k, v in parts_sum.items()})


# ---------------------------------------------------------------------------------------------------- bookkeeping
def log_step(s: Session, avg: float, parts: dict, meter: WaitMeter, rate: float, progress: bool) -> None:
    """Record the mean training loss of the last log_every steps: history, TensorBoard, log.txt (and stdout)."""
    st = s.state
    st.history["loss"].append((st.step, avg))
    lr = st.scheduler.get_last_lr()[0]
    s.writer.add_scalar("train/loss", avg, st.step)
    for k, v in parts.items():
        s.writer.add_scalar(f"train/{k}", v, st.step)
    s.writer.add_scalar("train/lr", lr, st.step)
    s.writer.add_scalar("train/data_wait_fraction", meter.fraction, st.step)
    tv = f", TV share {parts['tv_term'] / avg:.1%}" if "tv_term" in parts and avg > 0 else ""
    line = (f"step {st.step}/{s.cfg.steps}: loss {avg:.5g}{tv}, lr {lr:.3g}, {rate:.3g} it/s, "
            f"data wait {meter.fraction:.0%}")
    with open(s.run / "log.txt", "a") as f:
        f.write(line + "\n")
    if not progress:
        print(line, flush=True)


def validate_and_keep_best(s: Session) -> None:
    """Validate (rank 0, validation clips only) and publish best.safetensors when the PSNR is the best so far."""
    st, cfg = s.state, s.cfg
    t0 = time.perf_counter()
    p, b = run_validation(s.raw_model, s.val_clips, s.device, s.dtype, s.multiple, cfg.val_frames, cfg.val_crop,
                          cfg.val_clips)
    st.val_seconds += time.perf_counter() - t0
    best_before = st.best_val
    st.history["val"].append((st.step, p, b))
    s.writer.add_scalar("val/psnr", p, st.step)
    s.writer.add_scalar("val/psnr_blurry_input", b, st.step)
    last = f"; train loss {st.history['loss'][-1][1]:.4g}" if st.history["loss"] else ""
    s.log(f"step {st.step}: validation PSNR {p:.2f} dB (blurry input {b:.2f} dB, {p - b:+.2f} dB){last}")
    if p >= best_before:
        ck.save_model_file(s.raw_model, s.run / ".tmp-best.safetensors", s.meta)
        os.replace(s.run / ".tmp-best.safetensors", s.run / "best.safetensors")
        os.replace(s.run / ".tmp-best.json", s.run / "best.json")


def save_checkpoint(s: Session) -> None:
    st = s.state
    folder = ck.save_checkpoint(s.run, st.step, s.raw_model, st.state_dict(), s.meta,
                                st.ema.module if st.ema else None, keep=s.cfg.keep_ckpts)
    ck.publish(folder, s.run, {"model": "weights", **({"ema": "ema"} if st.ema else {})})


# ------------------------------------------------------------------------------------------------------------ train
def train(cfg: TrainConfig, resume: bool = False, progress: bool = True) -> dict:
    """Train per `cfg`; returns a summary dict (also written to the log)."""
    validate(cfg)
    dist, dev_name = ddp.setup(cfg.device)
    try:
        return _train(setup(cfg, resume, dist, dev_name), progress)
    finally:
        ddp.cleanup(dist)


def _train(s: Session, progress: bool) -> dict:
    from tqdm import tqdm

    cfg, st, master = s.cfg, s.state, s.dist.master
    bar = tqdm(total=cfg.steps, initial=st.step, unit="it", dynamic_ncols=True, mininterval=1.0,
               disable=not (master and progress), desc="train")
    delay = float(os.environ.get("UHDVD_TEST_STEP_DELAY", "0") or 0)  # tests only: widen the kill window
    meter = WaitMeter()
    it = iter(s.batches)
    bad_run, run_loss, run_n, run_parts = 0, 0.0, 0, {}
    t_start, step0, val0 = time.perf_counter(), st.step, st.val_seconds
    s.model.train()
    while st.step < cfg.steps:
        st.epoch, st.batch_in_epoch, (blur, sharp) = meter.next(it)
        r = train_step(s, blur, sharp)
        if math.isfinite(r.loss):
            bad_run = 0
            run_loss, run_n = run_loss + r.loss, run_n + 1
            for k, v in r.parts.items():
                run_parts[k] = run_parts.get(k, 0.0) + v
        else:
            bad_run += 1
            st.bad_total += 1
            if bad_run >= cfg.max_bad_steps:
                raise UserError(f"stopped: the loss was NaN/inf on {bad_run} consecutive steps (up to step "
                                f"{st.step}; {st.bad_total} in total); lower --lr, use --dtype bf16/fp32, or check "
                                f"the data")
            s.log(f"step {st.step}: loss is {r.loss}; step skipped ({st.bad_total} skipped so far)")
        bar.update(1)
        if delay:
            time.sleep(delay)
        last = st.step == cfg.steps
        if master and (st.step % cfg.log_every == 0 or last) and run_n:
            rate = (st.step - step0) / max(1e-9, time.perf_counter() - t_start)
            log_step(s, run_loss / run_n, {k: v / run_n for k, v in run_parts.items()}, meter, rate, progress)
            bar.set_postfix(loss=f"{run_loss / run_n:.4g}", wait=f"{meter.fraction:.0%}")
            run_loss, run_n, run_parts = 0.0, 0, {}
        if st.step % cfg.val_every == 0 or last:
            if master and s.val_clips:
                validate_and_keep_best(s)
            if master:
                write_curves(s.run / "curves.png", st.history, f"{s.run.name}: {cfg.arch}, crop {cfg.crop}")
            ddp.barrier(s.dist)
        if st.step % cfg.ckpt_every == 0 or last:
            if master:
                save_checkpoint(s)
            ddp.barrier(s.dist)
    bar.close()
    return summarize(s, time.perf_counter() - t_start, step0, st.val_seconds - val0, meter)


def summarize(s: Session, elapsed: float, step0: int, val_s: float, meter: WaitMeter) -> dict:
    """The run's summary dict (printed as JSON by the CLI) and the closing log line."""
    st, h = s.state, s.state.history
    summary = {
        "run": str(s.run), "steps": st.step, "steps_this_session": st.step - step0,
        "it_per_s": (st.step - step0) / elapsed if elapsed > 0 else 0.0, "wall_s": elapsed,
        "validation_s": val_s, "validation_fraction": val_s / elapsed if elapsed > 0 else 0.0,
        "data_wait_fraction": meter.fraction,
        "first_loss": h["loss"][0][1] if h["loss"] else None, "last_loss": h["loss"][-1][1] if h["loss"] else None,
        "val_psnr": h["val"][-1][1] if h["val"] else None, "val_psnr_blurry": h["val"][-1][2] if h["val"] else None,
        "skipped_steps": st.bad_total, "weights": str(s.run / "weights.safetensors"),
    }
    if s.dist.master:
        s.writer.close()
        share = f", validation {val_s:.1f} s = {val_s / elapsed:.0%}" if elapsed > 0 and h["val"] else ""
        s.log(f"done: {st.step} steps in {elapsed:.0f} s ({summary['it_per_s']:.3g} it/s this session{share}, data "
              f"wait {meter.fraction:.0%}); loss {summary['first_loss']} -> {summary['last_loss']}; weights "
              f"{s.run / 'weights.safetensors'}" + (f", EMA {s.run / 'ema.safetensors'}" if st.ema else "")
              + f"; curves {s.run / 'curves.png'}")
        if s.smoke:
            s.log("note: this was a CPU smoke test (it checks the data and the chain end to end); train on a GPU "
                  "for a real model, or pass --steps N")
    return summary
