"""Training configuration: one dataclass with the paper's defaults, loadable from YAML, saved with every run.

Precedence: dataclass defaults < `--config FILE.yaml` < command-line flags. When resuming, the run's saved
`config.yaml` takes the place of the defaults. Values left at "auto" (crop 0, workers -1, device/dtype "auto",
channels_last null) are resolved once the device and the data are known, and the resolved values are what is saved.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from uhdvd_data.common.errors import UserError, file_error


@dataclass
class TrainConfig:
    # data
    manifest: str = "manifests/4krd.csv"
    clip_len: int = 5                 # T consecutive pairs per sample
    crop: int = 0                     # 0 = auto: 512 on CUDA (paper), 256 on CPU, never larger than the frames
    batch_size: int = 1               # paper: 1
    workers: int = -1                 # -1 = auto (min(8, CPUs) on CUDA, 1 on CPU)
    val_fraction: float = 0.1         # held-out clip fraction when the manifest has no val/test split
    # model
    arch: str = "uhdvd"               # uhdvd | uhdvd_official | dmphn | package.module:factory (custom)
    arch_kwargs: dict = field(default_factory=dict)
    init: str | None = None           # weights to start from (ours, or the authors' 4KRD folder)
    # optimisation (paper: Adam 1e-4, decay x0.1)
    lr: float = 1e-4
    decay_every: int = 100_000        # StepLR step size, in steps
    decay_rate: float = 0.1
    warmup: int = 0                   # linear learning-rate warm-up steps (0 = none, as the paper)
    steps: int = 0                    # total optimizer steps (one step = one batch of clips); 0 = auto:
                                      # 300k on CUDA (paper schedule), a short 50-step run on CPU
    bptt: str = "detach"              # detach (released code) | full (gradients through the whole clip)
    scale_weights: list = field(default_factory=lambda: [0.7, 0.15, 0.1, 0.05])
    tv_weight: float = 1e-7           # paper's beta (the released code used 3.5e-8)
    grad_clip: float = 0.0            # 0 = off
    ema_decay: float = 0.999          # 0 = no EMA weights
    max_bad_steps: int = 20           # stop after this many consecutive NaN/inf steps
    # bookkeeping
    val_every: int = 0                # 0 = auto: min(2000, steps // 4)
    val_frames: int = 20              # first N frames of each validation clip (0 = all)
    ckpt_every: int = 0               # 0 = auto: min(2000, steps // 4)
    keep_ckpts: int = 3
    log_every: int = 10
    seed: int = 0
    out: str | None = None            # default runs/<name>
    name: str | None = None           # default <manifest stem>-<arch>
    # device
    device: str = "auto"
    dtype: str = "auto"               # auto (bf16 on CUDA, fp32 on CPU) | bf16 | fp16 | fp32
    channels_last: bool | None = None  # None = on for CUDA
    compile: bool = False

    def replace(self, **kw) -> TrainConfig:
        return dataclasses.replace(self, **kw)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


FIELDS = {f.name: f for f in dataclasses.fields(TrainConfig)}


def from_dict(d: dict, base: TrainConfig | None = None, where: str = "config") -> TrainConfig:
    unknown = sorted(set(d) - set(FIELDS))
    if unknown:
        raise UserError(f"{where}: unknown setting {unknown[0]!r} (known: {', '.join(FIELDS)})")
    return dataclasses.replace(base or TrainConfig(), **d)


def load_yaml(path: str | Path, base: TrainConfig | None = None) -> TrainConfig:
    import yaml

    path = Path(path)
    if not path.is_file():
        raise file_error(path, "no such config file")
    try:
        d = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as e:
        raise file_error(path, f"not valid YAML ({str(e).splitlines()[0]})") from e
    if not isinstance(d, dict):
        raise file_error(path, "a training config is a mapping of setting: value")
    return from_dict(d, base, where=str(path))


def save_yaml(cfg: TrainConfig, path: str | Path) -> None:
    import yaml

    from uhdvd_data.common.atomic import write_text

    write_text(path, "# uhdvd-train configuration of this run (resolved values)\n"
               + yaml.safe_dump(cfg.to_dict(), sort_keys=False))


def validate(cfg: TrainConfig) -> None:
    """Checks that do not need the device or the data."""
    if cfg.bptt not in ("detach", "full"):
        raise UserError(f"--bptt must be 'detach' or 'full' (got {cfg.bptt!r})")
    if cfg.dtype not in ("auto", "fp32", "bf16", "fp16"):
        raise UserError(f"--dtype must be bf16, fp16 or fp32 (got {cfg.dtype!r})")
    for name in ("clip_len", "batch_size", "decay_every", "log_every"):
        if getattr(cfg, name) < 1:
            raise UserError(f"--{name.replace('_', '-')} must be >= 1 (got {getattr(cfg, name)})")
    for name in ("steps", "val_every", "ckpt_every"):  # 0 = automatic
        if getattr(cfg, name) < 0:
            raise UserError(f"--{name.replace('_', '-')} must be >= 1 (got {getattr(cfg, name)})")
    if cfg.crop < 0:
        raise UserError(f"--crop must be positive (got {cfg.crop})")
    if not cfg.lr > 0:
        raise UserError(f"--lr must be positive (got {cfg.lr})")
