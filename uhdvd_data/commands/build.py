"""`uhdvd-data build`: fused interpolate + synthesize; 480 fps frames are streamed, never written."""

from __future__ import annotations

import argparse

from ..cluster import add_cluster_options
from ..interp.config import add_interp_options
from .synthesize import add_synth_options, config_from_args, print_summary

HELP = "Fused interpolate+synthesize: stream interpolated frames into the averager, keep only blur/sharp pairs"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "build", help=HELP, description=HELP + ". Same outputs as `interpolate` followed by `synthesize` with the same "
        "method, without the ~12 GB per second of 4K 480 fps frames on disk.")
    p.add_argument("inputs", nargs="+", help="videos or folders of videos (e.g. raw/)")
    g = p.add_argument_group("interpolation")
    g.add_argument("--fps", type=float, default=480.0, help="interpolated frame rate (default: 480)")
    add_interp_options(g)
    add_synth_options(p)
    add_cluster_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..cluster import cluster_from_args
    from ..common.errors import UserError
    from ..interp.config import from_args
    from ..synth.fused import build_dataset
    from ..synth.splits import parse_shard

    try:
        from ..video import find_videos
    except ImportError as e:
        raise UserError(f"build needs the video layer (uhdvd_data.video.find_videos): {e}") from e
    try:
        import uhdvd_data.interp.pipeline  # noqa: F401
    except ImportError as e:
        raise UserError(f"build needs the interpolation pipeline (uhdvd_data.interp.pipeline): {e}") from e
    if args.jobs != 1 and not args.cluster:
        print("note: build streams one clip at a time; --jobs is ignored (use --shard i/n across processes)")
    fps = int(args.fps) if float(args.fps).is_integer() else args.fps
    cfg = from_args(args)
    interp = {"fps": fps, **cfg.method_kwargs(), **cfg.clip_kwargs()}
    from .preflight import build_space

    videos = find_videos(args.inputs)
    scfg = config_from_args(args)
    print(build_space(videos, args.out, scfg.image_format, scfg.quality, args.no_space_check), flush=True)
    with cluster_from_args(args, show_progress=not args.no_progress) as runner:
        summary = build_dataset(videos, interp, args.out, args.manifest, scfg,
                                shard=parse_shard(args.shard), overwrite=args.overwrite,
                                show_progress=not args.no_progress, cluster=runner)
    sk = summary["skipped"]
    print_summary(summary, args)
    if sk["clips_without_windows"]:
        print(f"note: no window of {args.window} frames fits in {len(sk['clips_without_windows'])} clip(s): "
              + ", ".join(sk["clips_without_windows"][:10]))
    if runner is not None:
        runner.raise_failures(f"; {summary['manifest']} holds the other {summary['clips']} clip(s)")
    return 0
