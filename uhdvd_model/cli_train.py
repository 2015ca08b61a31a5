"""`uhdvd-train`: train UHDVD on pair manifests made by `uhdvd-data synthesize` or `uhdvd-data import`.

Defaults follow the paper (Adam 1e-4, x0.1 step decay, batch 1, crop 512) on CUDA; without a GPU the default run is a
20-step smoke test at crop 128 that checks the data and the chain in minutes. Validation uses the manifests' `val`
split or clips held out of `train`, never `test`. Settings: defaults < --config YAML < flags; the resolved
configuration is saved as <run>/config.yaml. Multi-GPU: `torchrun --nproc_per_node N $(which uhdvd-train) ...`.
"""

from __future__ import annotations

import argparse
import json

from uhdvd_data.common.errors import run_cli

HELP = "Train UHDVD on a pair manifest (recurrent, multi-scale loss; resumable; DDP via torchrun)"


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="uhdvd-train", description=__doc__.split("\n\n")[0] + "\n\n" +
                                 __doc__.split("\n\n")[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    a = ap.add_argument
    a("--manifest", action="append", help="pair manifest CSV (default manifests/4krd.csv); repeat it to mix datasets")
    a("--weights-per-manifest", metavar="W1,W2,...",
      help="share of training samples drawn from each --manifest, e.g. 1,1 (default: in proportion to their sizes)")
    a("--val-fraction", type=float, help="for a manifest without a 'val' split: share of its train clips held out "
      "for validation (default 0.1; the 'test' split is never used)")
    a("--config", help="YAML file of settings (any TrainConfig field); flags override it")
    a("--out", help="run folder (default runs/<manifest stem>-<arch>)")
    a("--name", help="run name under runs/ (when --out is not given)")
    a("--arch", help="uhdvd (paper, default) | uhdvd_official | dmphn | package.module:factory")
    a("--global-residual", action=argparse.BooleanOptionalAction, default=None,
      help="uhdvd only, not in the paper: outputs = decoder + blurry input, starting at the identity (fast "
      "convergence for short runs; the default is the paper's architecture)")
    a("--init", help="start from these weights (.safetensors of ours, or the authors' 4KRD folder of .pkl files)")
    a("--resume", action="store_true", help="continue the run in the run folder from its latest valid checkpoint")
    a("--clip-len", type=int, help="consecutive frames per sample (default 5, or the longest clip when all are shorter)")
    a("--crop", type=int, help="square crop, a multiple of 128 for UHDVD (default: 512 on CUDA, 128 on CPU, "
      "at most the frame size)")
    a("--batch-size", type=int, help="clips per step and process (default 1, as the paper)")
    a("--lr", type=float, help="Adam learning rate (default 1e-4)")
    a("--decay-every", type=int, help="multiply the learning rate by 0.1 every N steps (default steps/4: three decays "
      "per run, as the released script's StepLR every 1000 of 4000 epochs)")
    a("--tv-weight", type=float, help="weight of the L1 total-variation sum (per 512x512 crop) (default 5e-9, measured: "
      "3.5e-8 = the released code, 1e-7 = the paper's number, both bias 4K outputs towards blur; 0 = off)")
    a("--warmup", type=int, help="linear learning-rate warm-up over N steps (default 0)")
    a("--grad-clip", type=float, help="clip the gradient norm to this value (default 0 = off)")
    a("--ema-decay", type=float, help="EMA decay of the saved ema weights (default 0.999; 0 = off)")
    a("--steps", type=int, help="total optimizer steps (default: 300000 on CUDA, our choice as the paper states none; "
      "a 20-step smoke test on CPU)")
    a("--bptt", choices=["detach", "full"], help="detach the previous output (default) or backprop through the clip")
    a("--val-every", type=int, help="validate every N steps (default min(2000, steps/4))")
    a("--val-frames", type=int, help="validate on the first N frames of each clip (default 20 on CUDA, 3 on CPU; "
      "0 = all)")
    a("--val-crop", type=int, help="validate on a centre crop of N pixels (default: whole frames on CUDA, 256 on CPU; "
      "0 = whole frames)")
    a("--val-clips", type=int, help="validate on at most N clips (default: all on CUDA, 4 on CPU; 0 = all)")
    a("--log-every", type=int, help="log the mean training loss every N steps (default 10)")
    a("--ckpt-every", type=int, help="checkpoint every N steps (default min(2000, steps/4))")
    a("--workers", type=int, help="data-loader worker processes (default: 8 on CUDA, 1 on CPU)")
    a("--device", help="auto (default) | cpu | cuda | cuda:N")
    a("--dtype", choices=["bf16", "fp16", "fp32"], help="autocast dtype (default bf16 on CUDA, fp32 on CPU)")
    a("--channels-last", action=argparse.BooleanOptionalAction, default=None,
      help="channels_last memory format (default on for CUDA)")
    a("--compile", action=argparse.BooleanOptionalAction, default=None, help="torch.compile the model")
    a("--seed", type=int, help="seed for initialisation, data order and augmentation (default 0)")
    a("--no-progress", action="store_true", help="no progress bar (log lines only)")
    return ap


FLAG_FIELDS = ("manifest", "out", "name", "arch", "init", "clip_len", "crop", "batch_size", "lr", "decay_every",
               "warmup", "grad_clip", "ema_decay", "steps", "bptt", "val_every", "val_frames", "val_crop", "val_clips",
               "val_fraction", "tv_weight", "log_every", "ckpt_every", "workers", "device", "dtype", "channels_last",
               "compile", "seed")
PER_SESSION = ("device", "dtype", "channels_last", "workers", "compile")  # re-decided when resuming


def make_config(args: argparse.Namespace):
    from uhdvd_model.train.config import TrainConfig, from_dict, load_yaml
    from uhdvd_model.train.loop import run_folder

    flags = {k: getattr(args, k) for k in FLAG_FIELDS if getattr(args, k) is not None}
    if "manifest" in flags:
        flags["manifest"] = flags["manifest"][0] if len(flags["manifest"]) == 1 else list(flags["manifest"])
    if args.weights_per_manifest is not None:
        from uhdvd_data.common.errors import UserError

        try:
            flags["manifest_weights"] = [float(x) for x in args.weights_per_manifest.split(",")]
        except ValueError:
            raise UserError(f"--weights-per-manifest must be numbers separated by commas "
                            f"(got {args.weights_per_manifest!r})") from None
    cfg = load_yaml(args.config) if args.config else TrainConfig()
    if args.global_residual is not None:
        flags["arch_kwargs"] = {**cfg.arch_kwargs, "global_residual": args.global_residual}
    cfg = from_dict(flags, cfg)
    if args.resume:
        saved = run_folder(cfg) / "config.yaml"
        if saved.is_file():
            base = load_yaml(saved)
            base = base.replace(**{k: getattr(TrainConfig(), k) for k in PER_SESSION})
            if args.config:
                base = from_dict({k: v for k, v in load_yaml(args.config).to_dict().items()
                                  if v != getattr(TrainConfig(), k)}, base)
            cfg = from_dict(flags, base)
    return cfg


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    from uhdvd_model.train.loop import train

    cfg = make_config(args)
    summary = train(cfg, resume=args.resume, progress=not args.no_progress)
    if summary.get("run"):
        import os

        if int(os.environ.get("RANK", "0")) == 0:
            print(json.dumps(summary, default=str))
    return 0


def main(argv: list[str] | None = None) -> int:
    raise SystemExit(run_cli("uhdvd-train", _main, argv))
