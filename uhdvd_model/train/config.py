"""Training configuration: one dataclass with the paper's defaults, loadable from YAML, saved with every run.

Precedence: dataclass defaults < `--config FILE.yaml` < command-line flags. When resuming, the run's saved
`config.yaml` takes the place of the defaults. Values left at "auto" (clip_len 0, crop 0, workers -1, device/dtype "auto",
channels_last null) are resolved once the device and the data are known, and the resolved values are what is saved.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from uhdvd_data.common.errors import UserError, file_error


@dataclass
class TrainConfig:
    """Every setting of a run. Where a default comes from is said beside it: "paper" (UHDVD, ICCV 2021, Sec. 3.4 and
    4.1), "released" (the authors' training script), or "ours"."""

    # data
    manifest: str | list = "manifests/4krd.csv"  # one manifest, or a list of manifests to mix
    manifest_weights: list | None = None  # share of training samples per manifest (None = in proportion to size)
    clip_len: int = 0                 # T consecutive pairs per sample; 0 = auto: 5 (ours; the released script runs
                                      # whole videos frame by frame, which with a detached previous output is the same
                                      # gradient), shortened to the longest train clip when every clip is shorter
    crop: int = 0                     # 0 = auto: 512 on CUDA (paper), 128 on CPU (ours), never larger than frames
    batch_size: int = 1               # paper: 1
    workers: int = -1                 # -1 = auto (min(8, CPUs) on CUDA, 1 on CPU)
    val_fraction: float = 0.1         # per manifest without a 'val' split: held-out share of its train clips (ours)
    # model
    arch: str = "uhdvd"               # uhdvd | uhdvd_official | dmphn | package.module:factory (custom)
    arch_kwargs: dict = field(default_factory=dict)
    init: str | None = None           # weights to start from (ours, or the authors' 4KRD folder)
    # optimisation
    lr: float = 1e-4                  # paper: Adam, 1e-4
    decay_every: int = 0              # StepLR step size in steps; 0 = auto: steps // 4 (released: every 1000 of 4000
                                      # epochs, i.e. three decays at 1/4, 1/2, 3/4 of the run)
    decay_rate: float = 0.1           # paper: 0.1
    warmup: int = 0                   # linear learning-rate warm-up steps (0 = none, as the paper)
    steps: int = 0                    # optimizer steps (one batch of clips each); 0 = auto: 300k on CUDA (ours: the
                                      # paper states no length), a 20-step smoke test on CPU
    bptt: str = "detach"              # detach (released code) | full (gradients through the whole clip)
    scale_weights: list = field(default_factory=lambda: [0.7, 0.15, 0.1, 0.05])  # paper eq. 5
    tv_weight: float = 5e-9           # ours, measured (docs/bench_train.md): on the released L1 TV sum per 512x512
                                      # crop, the largest beta whose equilibrium edge bias (beta*N/1.4) stays under one
                                      # 8-bit level; released 3.5e-8 and paper 1e-7 move the loss minimum off the truth
    grad_clip: float = 0.0            # 0 = off
    ema_decay: float = 0.999          # 0 = no EMA weights (ours, saved beside the plain weights)
    max_bad_steps: int = 20           # stop after this many consecutive NaN/inf steps
    # validation (never on the test split)
    val_every: int = 0                # 0 = auto: min(2000, steps // 4)
    val_frames: int = -1              # first N frames of each validation clip; -1 = auto: 20 on CUDA, 3 on CPU; 0 = all
    val_crop: int = -1                # centre crop for validation; -1 = auto: whole frames on CUDA, 256 on CPU; 0 = whole
    val_clips: int = -1               # at most N validation clips (evenly spaced); -1 = auto: all on CUDA, 4 on CPU
    # bookkeeping
    ckpt_every: int = 0               # 0 = auto: min(2000, steps // 4)
    keep_ckpts: int = 3
    log_every: int = 10
    seed: int = 0
    out: str | None = None            # default runs/<name>
    name: str | None = None           # default <manifest stem(s)>-<arch>
    # device
    device: str = "auto"
    dtype: str = "auto"               # auto (bf16 on CUDA, fp32 on CPU) | bf16 | fp16 | fp32
    channels_last: bool | None = None  # None = on for CUDA
    compile: bool = False

    @property
    def manifests(self) -> list[str]:
        return [str(m) for m in (self.manifest if isinstance(self.manifest, list | tuple) else [self.manifest])]

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
    for name in ("batch_size", "log_every"):
        if getattr(cfg, name) < 1:
            raise UserError(f"--{name.replace('_', '-')} must be >= 1 (got {getattr(cfg, name)})")
    for name in ("clip_len", "steps", "val_every", "ckpt_every", "decay_every"):  # 0 = automatic
        if getattr(cfg, name) < 0:
            raise UserError(f"--{name.replace('_', '-')} must be >= 1 (got {getattr(cfg, name)})")
    if cfg.crop < 0:
        raise UserError(f"--crop must be positive (got {cfg.crop})")
    for name in ("val_frames", "val_crop", "val_clips"):  # -1 = automatic, 0 = all
        if getattr(cfg, name) < -1:
            raise UserError(f"--{name.replace('_', '-')} must be >= 0 (got {getattr(cfg, name)})")
    if not 0 <= cfg.val_fraction < 1:
        raise UserError(f"--val-fraction must be in [0, 1) (got {cfg.val_fraction})")
    if cfg.tv_weight < 0:
        raise UserError(f"--tv-weight must be >= 0 (got {cfg.tv_weight})")
    if cfg.manifest_weights is not None:
        w = list(cfg.manifest_weights)
        if len(w) != len(cfg.manifests):
            raise UserError(f"--weights-per-manifest gives {len(w)} weight(s) for {len(cfg.manifests)} manifest(s)")
        if any(not isinstance(x, int | float) or x < 0 for x in w) or not any(x > 0 for x in w):
            raise UserError(f"--weights-per-manifest must be non-negative numbers, not all zero (got {w})")
    if not cfg.lr > 0:
        raise UserError(f"--lr must be positive (got {cfg.lr})")
