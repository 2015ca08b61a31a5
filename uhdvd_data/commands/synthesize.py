"""`uhdvd-data synthesize`: average 480 fps windows of interp/ into blur/sharp pairs + manifests/4krd.csv."""

from __future__ import annotations

import argparse

from ..cluster import add_cluster_options

HELP = "Average 480 fps windows (in linear light) into blur/sharp pairs and a manifest CSV"


def add_synth_options(p: argparse.ArgumentParser) -> None:
    """Options shared by `synthesize` and `build`."""
    g = p.add_argument_group("synthesis")
    g.add_argument("--out", default="dataset", help="dataset folder (default: dataset/)")
    from .preflight import add_space_option

    add_space_option(g)
    g.add_argument("--manifest", default="manifests/4krd.csv", help="manifest CSV (default: manifests/4krd.csv)")
    g.add_argument("--window", default="13", help="frames averaged per blurry frame, odd (default: 13); A:B draws an "
                   "odd window per pair from A..B (seeded; recorded in the manifest's window column)")
    g.add_argument("--blur-px", default=None, metavar="LO:HI",
                   help="per pair, draw only among the odd window sizes (A..B of --window, or 1..--window) whose "
                   "blur_px_p50 is within LO..HI pixels; pairs where none is are skipped and counted")
    g.add_argument("--center", choices=["captured", "any", "auto"], default="auto",
                   help="centre windows on captured source frames, or tile every segment (any); auto (default): "
                   "captured, and for synthesize any when no captured-centred window fits in any clip (short clips)")
    g.add_argument("--stride", type=int, default=None,
                   help="captured: keep every k-th source frame (default 1); any: window step (default: --window)")
    g.add_argument("--crf", default="auto",
                   help="linearisation curve: auto (default: hlg or pq for clips recorded so, else srgb), srgb, "
                   "gamma2.2, bt709, linear, hlg, pq")
    g.add_argument("--crf-lut", default=None, metavar="FILE",
                   help="camera response table (256/1024 increasing values, .txt/.csv/.npy); overrides --crf")
    g.add_argument("--saturation", type=float, default=None, metavar="LEVEL",
                   help="clip linear light at LEVEL (0-1] and rescale (simulated saturation; off by default)")
    g.add_argument("--noise", default=None, metavar="poisson-gaussian:A,B",
                   help="Poisson-Gaussian noise on the blurry frame: shot gain A, read sigma B (linear units)")
    g.add_argument("--jpeg-quality", type=int, default=None, help="JPEG re-compress the blurry frame at this quality")
    g.add_argument("--image-format", choices=["png", "jpg"], default="png", help="output images (default: png)")
    g.add_argument("--quality", type=int, default=95, help="JPEG quality for --image-format jpg (default: 95)")
    g.add_argument("--split-ratio", type=float, default=0.9, help="fraction of clips not in test (default: 0.9)")
    g.add_argument("--val-ratio", type=float, default=0.0, help="fraction of clips moved to val (default: 0)")
    g.add_argument("--splits", default=None, metavar="FILE.csv", help="clip_id,split table instead of ratios")
    g.add_argument("--seed", type=int, default=0, help="seed for splits and noise (default: 0)")
    g.add_argument("--jobs", type=int, default=1, help="parallel workers (joblib; default: 1)")
    g.add_argument("--shard", default=None, metavar="i/n", help="process shard i (0-based) of n; writes "
                   "<manifest>.shard-i-of-n.csv (combine with `uhdvd-data merge`)")
    g.add_argument("--overwrite", action="store_true", help="replace clip folders made with other settings")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")
    q = p.add_argument_group("quality (manifest columns check_psnr, check_ssim, target_sharpness; manifests/README.md)")
    q.add_argument("--no-quality", action="store_true",
                   help="skip the interpolation self-check and the target sharpness (their columns stay empty)")
    q.add_argument("--min-check-psnr", type=float, default=None, metavar="DB",
                   help="drop pairs whose self-check PSNR is below DB (pairs without a check are kept)")
    q.add_argument("--min-sharpness", type=float, default=None, metavar="X",
                   help="drop pairs whose target_sharpness (sharp frame / the clip's median, 1.0 = typical) is "
                   "below X")


def config_from_args(args: argparse.Namespace):
    from ..synth.config import SynthConfig
    from ..synth.windows import parse_blur_px, parse_window

    lo, hi = parse_window(args.window)
    return SynthConfig(
        window=hi, window_min=lo, blur_px=parse_blur_px(args.blur_px), center=args.center, stride=args.stride, crf=args.crf, crf_lut=args.crf_lut,
        saturation=args.saturation, noise=args.noise, jpeg_quality=args.jpeg_quality, image_format=args.image_format,
        quality=args.quality, seed=args.seed, split_ratio=args.split_ratio, val_ratio=args.val_ratio,
        splits_file=args.splits, measure_quality=not args.no_quality, min_check_psnr=args.min_check_psnr,
        min_sharpness=args.min_sharpness,
    )


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "synthesize", help=HELP, description=HELP + ". Reads interp/ (from `uhdvd-data interpolate`), writes "
        "dataset/<split>/<clip>/{blur,sharp}/%%06d.png and manifests/4krd.csv (+ .json sidecar). Resumable: rerun "
        "after an interruption.")
    p.add_argument("--interp", default="interp", help="interpolated clips folder (default: interp/)")
    add_synth_options(p)
    add_cluster_options(p)
    p.add_argument("--weights", default=None, help="interpolation-network weights for the quality self-check of "
                   "clips interpolated with --method network (default: the packaged or $UHDVD_INTERP_WEIGHTS ones, "
                   "matched by sha256)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..cluster import cluster_from_args
    from ..common.errors import UserError
    from ..synth.dataset import synthesize_dataset
    from ..synth.splits import parse_shard

    if args.jobs < 1:
        raise UserError(f"--jobs must be >= 1 (got {args.jobs})")
    cfg = config_from_args(args)
    cfg.weights = args.weights
    from .preflight import synthesize_space

    print(synthesize_space(args.interp, args.out, cfg.image_format, cfg.quality, args.no_space_check), flush=True)
    with cluster_from_args(args, show_progress=not args.no_progress) as runner:
        summary = synthesize_dataset(args.interp, args.out, args.manifest, cfg, jobs=args.jobs,
                                     shard=parse_shard(args.shard), overwrite=args.overwrite,
                                     show_progress=not args.no_progress, cluster=runner)
    sk = summary["skipped"]
    print_summary(summary, args)
    if summary.get("unfinished"):
        print(f"note: {len(summary['unfinished'])} folder(s) in {args.interp}/ hold no finished interpolation "
              f"(no clip.json; rerun interpolate): " + ", ".join(summary["unfinished"][:10]))
    if summary.get("center_fallback"):
        print(f"note: no window of {args.window} frames centred on a captured frame fits in any clip (too short), so "
              f"windows tile the scene segments instead (--center any: sharp frames may be interpolated ones)")
    if sk["clips_without_windows"]:
        print(f"note: no window of {args.window} frames fits in {len(sk['clips_without_windows'])} clip(s): "
              + ", ".join(sk["clips_without_windows"][:10]))
    if runner is not None:
        runner.raise_failures(f"; {summary['manifest']} holds the other {summary['clips']} clip(s)")
    return 0


def print_summary(summary: dict, args: argparse.Namespace) -> None:
    """The summary line of `synthesize` and `build`: pairs, skipped windows, pairs dropped by the quality filters
    (by reason) and pairs without a self-check (by reason)."""
    sk = summary["skipped"]
    line = (f"{summary['pairs']} pairs from {summary['clips']} clip(s) -> {summary['manifest']} "
            f"(skipped windows: {sk['boundary']} at clip ends, {sk['cut']} at scene cuts"
            + (f", {sk.get('blur_px', 0)} with no window size giving a blur of {args.blur_px} px" if args.blur_px
               else ""))
    if args.min_check_psnr is not None or args.min_sharpness is not None:
        line += (f"; dropped pairs: {sk.get('low_check_psnr', 0)} with check_psnr < {args.min_check_psnr} dB, "
                 f"{sk.get('low_sharpness', 0)} with target_sharpness < {args.min_sharpness}")
    print(line + ")")
    qi = summary.get("quality") or {}
    empty = {k: v for k, v in (qi.get("check_empty") or {}).items() if v}
    if qi.get("computed") and empty:
        print(f"note: {sum(empty.values())} pair(s) have no interpolation self-check ("
              + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in empty.items()) + ")")
