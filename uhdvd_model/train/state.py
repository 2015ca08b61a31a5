"""Everything a training run resumes from, apart from the weights: `TrainState.state_dict()` is what a checkpoint's
state.pt holds and `load_state_dict()` puts it back, so saving and resuming cannot drift apart."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from . import checkpoint as ck
from .ema import EMA


@dataclass
class TrainState:
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    scaler: torch.amp.GradScaler
    ema: EMA | None = None
    step: int = 0
    epoch: int = 0
    batch_in_epoch: int = 0  # batches of `epoch` already consumed: where the data order resumes
    history: dict = field(default_factory=lambda: {"loss": [], "val": []})  # (step, loss), (step, psnr, blurry)
    bad_total: int = 0  # NaN/inf steps skipped so far
    val_seconds: float = 0.0  # wall time spent validating, all sessions

    def state_dict(self) -> dict:
        return {"step": self.step, "epoch": self.epoch, "batch_in_epoch": self.batch_in_epoch,
                "optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(),
                "scaler": self.scaler.state_dict(), "rng": ck.rng_state(), "history": self.history,
                "bad_total": self.bad_total, "val_seconds": self.val_seconds,
                "ema": self.ema.state_dict() if self.ema is not None else {}}

    def load_state_dict(self, st: dict) -> None:
        self.optimizer.load_state_dict(st["optimizer"])
        self.scheduler.load_state_dict(st["scheduler"])
        self.scaler.load_state_dict(st["scaler"])
        self.step, self.epoch, self.batch_in_epoch = st["step"], st["epoch"], st["batch_in_epoch"]
        self.history, self.bad_total = st["history"], st["bad_total"]
        self.val_seconds = float(st.get("val_seconds", 0.0))
        if self.ema is not None and st.get("ema"):
            self.ema.load_state_dict(st["ema"])
        ck.set_rng_state(st["rng"])

    @property
    def best_val(self) -> float:
        return max((v[1] for v in self.history["val"]), default=float("-inf"))
