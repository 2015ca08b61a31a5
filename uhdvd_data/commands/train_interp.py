"""`uhdvd-data train-interp`: train the adaptive separable-convolution interpolation network."""

from __future__ import annotations

import argparse

from ..interp.config import add_motion_options

HELP = "Train the frame-interpolation network (synthetic truth from photos + your own footage)"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train-interp",
        help=HELP,
        description=HELP + ". Footage triplets at the native rate (60 fps sub-sampled by 2) teach the middle frame; "
        "photos rendered under a moving camera with a moving occluder give exact frames at any t. Writes "
        "<out>/last.safetensors (+ .json) and <out>/state.pt; use the weights with `interpolate --weights`.",
    )
    p.add_argument("--footage", nargs="*", default=[], metavar="PATH", help="video files or folders (e.g. raw/)")
    p.add_argument("--demo-photos", type=int, default=0, metavar="N",
                   help="use the first N training photos for synthetic tuples (default: all; held-out photos never)")
    p.add_argument("--steps", type=int, default=20000)
    p.add_argument("--crop", type=int, default=128)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--out", default="runs/interp")
    p.add_argument("--resume", action="store_true", help="continue from <out>/state.pt")
    p.add_argument("--init", default=None, metavar="WEIGHTS", help="start from these weights (fine-tuning)")
    p.add_argument("--device", default=None, help="cuda|cpu (default: cuda when available)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--kernel-size", type=int, default=None, help="K taps per 1-D kernel (odd; default 11)")
    p.add_argument("--time-budget", type=float, default=0.0, metavar="MIN", help="stop and save after MIN minutes")
    p.add_argument("--render", default="640x360", help="size synthetic frames are rendered at (WxH; default 640x360)")
    p.add_argument("--crops-per-sample", type=int, default=4, help="training crops taken from each rendered pair")
    add_motion_options(p)
    p.add_argument("--motion-max", type=float, default=48.0, help="max synthetic camera motion, px per source frame")
    p.add_argument("--nonrigid", type=float, default=0.0, metavar="P",
                   help="share of rendered scenes whose moving object bends (exact non-rigid truth; default 0)")
    p.add_argument("--no-t-gate", action="store_true",
                   help="do not fade the network's residual out toward t=0 and t=1 (4 t (1-t) gate)")
    p.add_argument("--loss", default="charbonnier", choices=["charbonnier", "mse"],
                   help="training loss (mse weights the large errors around fast movers that dominate PSNR)")
    p.add_argument("--no-layer", action="store_true",
                   help="no camera-layer candidate (network inputs/outputs as before 2026-11-25; an --init network "
                        "without it is otherwise extended)")
    p.add_argument("--footage-ratio", type=float, default=0.5, help="share of footage tuples per batch")
    p.add_argument("--ckpt-every", type=int, default=200)
    p.add_argument("--log-every", type=int, default=20)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:

    from ..common.device import pick_device
    from ..common.errors import UserError
    from ..interp.net import DEFAULT_K
    from ..interp.train import TrainConfig, train

    if args.crop < 32 or args.crop % 32:
        raise UserError(f"--crop must be a multiple of 32 and >= 32 (got {args.crop})")
    k = args.kernel_size or DEFAULT_K
    if k % 2 == 0 or k < 1:
        raise UserError(f"--kernel-size must be odd (got {k})")
    try:
        rw, rh = (int(v) for v in args.render.lower().split("x"))
    except ValueError as e:
        raise UserError(f"--render must be WxH, e.g. 640x360 (got {args.render!r})") from e
    if not 0.0 <= args.nonrigid <= 1.0:
        raise UserError(f"--nonrigid must be within [0, 1] (got {args.nonrigid})")
    if min(rw, rh) < args.crop + 8:
        raise UserError(f"--render {args.render} is too small for --crop {args.crop}")
    dev = pick_device(args.device)
    cfg = TrainConfig(out=args.out, steps=args.steps, crop=args.crop, batch=args.batch, lr=args.lr, seed=args.seed,
                      device=str(dev), k=k, footage=list(args.footage), demo_photos=args.demo_photos,
                      footage_ratio=args.footage_ratio, time_budget_s=args.time_budget * 60.0,
                      ckpt_every=args.ckpt_every, log_every=args.log_every, init=args.init, render=(rh, rw),
                      crops_per_sample=args.crops_per_sample, motion_max=args.motion_max, t_gate=not args.no_t_gate,
                      motion=args.motion, layer=not args.no_layer, loss=args.loss, trajectory=args.trajectory,
                      nonrigid=args.nonrigid)
    res = train(cfg, resume=args.resume, log=lambda s: print(s, flush=True))
    print(f"trained {res['steps']} steps; weights: {res['out']}/last.safetensors")
    return 0
