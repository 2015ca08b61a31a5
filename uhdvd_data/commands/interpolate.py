"""`uhdvd-data interpolate INPUT... --fps 480`: interpolate footage to a high frame rate, one folder per clip."""

from __future__ import annotations

import argparse

from ..interp.names import METHODS, MOTIONS, TRAJECTORIES

HELP = "Interpolate footage to a high frame rate (e.g. 480 fps) into interp/<clip>/ (lossless frames + provenance)"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "interpolate",
        help=HELP,
        description=HELP + ". The factor is round(--fps / source fps), so every captured frame lands on the output "
        "grid (29.97 fps -> x16 = 479.52 fps). Scene cuts and flashes are never interpolated across. Finished clips "
        "are skipped; interrupted ones resume.",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="video files or folders (searched recursively)")
    p.add_argument("--fps", default="480", help="target frame rate (default 480)")
    p.add_argument("--out", default="interp", help="output root (default interp/)")
    p.add_argument("--method", default="auto", choices=METHODS,
                   help="auto (default): network with the packaged weights, else dis with a warning")
    p.add_argument("--motion", default="fused", choices=MOTIONS,
                   help="fused (default): DIS + feature-matched motion layers + per-pixel fusion, motion at t by "
                   "forward splatting with visibility; plain: DIS with linear-motion flows at t (classical baseline)")
    p.add_argument("--trajectory", default="quadratic", choices=TRAJECTORIES,
                   help="fused motion between two captured frames: quadratic (default) through the captured frames "
                   "either side where the camera layer explains a pixel in both pairs (accelerating, shaking camera), "
                   "else linear; linear: straight lines between the two frames")
    p.add_argument("--weights", default=None, help="interpolation-network weights (.safetensors)")
    p.add_argument("--device", default=None, help="cuda|cpu (default: cuda when available)")
    p.add_argument("--dtype", default=None, choices=["bf16", "fp16", "fp32"], help="default: bf16 on cuda, fp32 on cpu")
    p.add_argument("--tile", type=int, default=0, help="tile side in px for the network (0 = auto: 1024 cpu, 2048 cuda)")
    p.add_argument("--tile-overlap", type=int, default=64, help="tile overlap in px (feathered; default 64)")
    p.add_argument("--max-tile", type=int, default=4096, help="upper bound on the tile side (bounds memory)")
    p.add_argument("--format", default="png", choices=["png", "ffv1"],
                   help="png: one lossless PNG per frame (16-bit when the source is >8-bit); ffv1: one lossless "
                   "frames.mkv per clip (much smaller; an interrupted clip is redone instead of resumed)")
    p.add_argument("--vfr", default="cfr", choices=["cfr", "error"], help="variable-frame-rate clips: resample or refuse")
    p.add_argument("--allow-hdr", action="store_true", help="accept HLG/PQ sources (frames stay in their transfer)")
    p.add_argument("--scene-threshold", type=float, default=None,
                   help="cut when motion-compensated thumbnail correlation is below this (default 0.7)")
    p.add_argument("--force", action="store_true", help="redo finished clips")
    p.add_argument("--jobs", type=int, default=1,
                   help="clips processed in parallel worker processes (CPU; default 1; the CPU threads are split)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import os

    from tqdm import tqdm

    from ..common.device import pick_device, pick_dtype
    from ..common.errors import UserError
    from ..interp import scenes, timegrid
    from ..interp.pipeline import clip_id_for, expected_frames, interpolate_clip, make_method
    from ..video import find_videos, probe

    try:
        target = timegrid.as_fraction(args.fps)
    except (ValueError, ZeroDivisionError) as e:
        raise UserError(f"--fps {args.fps!r} is not a frame rate") from e
    if target <= 0:
        raise UserError(f"--fps must be positive (got {args.fps})")
    if args.tile_overlap < 0 or args.tile < 0:
        raise UserError("--tile and --tile-overlap must be >= 0")
    paths = find_videos(args.inputs)
    dev = pick_device(args.device)
    dt = pick_dtype(args.dtype, dev)
    interp = make_method(args.method, args.weights, dev, dt, args.tile, args.tile_overlap, args.max_tile,
                         motion=args.motion, trajectory=args.trajectory)
    thr = scenes.DEFAULT_THRESHOLD if args.scene_threshold is None else args.scene_threshold
    ids: dict[str, str] = {}
    for path in paths:
        cid = clip_id_for(path)
        if cid in ids:
            raise UserError(f"{path}: same clip id {cid!r} as {ids[cid]} (rename one: outputs would collide)")
        ids[cid] = str(path)
    overall = tqdm(total=len(paths), desc="clips", unit="clip", disable=args.no_progress, position=0)
    counts = {"done": 0, "skipped": 0, "resumed": 0}
    clip_opts = dict(force=args.force, format=args.format, vfr=args.vfr, allow_hdr=args.allow_hdr,
                     scene_threshold=thr)

    def report(path, res):
        counts[res["status"]] += 1
        overall.update(1)
        cuts = len(res.get("boundaries") or [])
        overall.write(f"{clip_id_for(path)}: {res['status']}, {res['n_frames']} frames at {res['out_fps']:g} fps "
                      f"(x{res['factor']}, {res['method']}{f', {cuts} cut(s)' if cuts else ''})")

    if args.jobs > 1 and len(paths) > 1:
        import concurrent.futures as cf
        import multiprocessing as mp

        from ..interp.pipeline import clip_job

        jobs = min(args.jobs, len(paths))
        threads = max(1, (os.cpu_count() or 1) // jobs)
        method_args = dict(method=interp.name, weights=getattr(interp, "weights_path", None), device=str(dev),
                           dtype=args.dtype, tile=args.tile,
                           tile_overlap=args.tile_overlap, max_tile=args.max_tile, motion=args.motion,
                           trajectory=args.trajectory)
        with cf.ProcessPoolExecutor(jobs, mp_context=mp.get_context("spawn")) as ex:
            futs = {ex.submit(clip_job, str(p), args.out, str(target), method_args, clip_opts, threads): p for p in paths}
            for fut in cf.as_completed(futs):
                report(futs[fut], fut.result())
    else:
        for path in paths:
            info = probe(path, hash=False)
            factor = timegrid.factor_for(timegrid.Fraction(info.fps_num, info.fps_den), target)
            bar = tqdm(total=expected_frames(info, factor) or None, desc=clip_id_for(path), unit="fr", leave=False,
                       disable=args.no_progress, position=1)
            res = interpolate_clip(path, args.out, fps=target, interp=interp, progress=bar.update, **clip_opts)
            bar.close()
            report(path, res)
    overall.close()
    print(f"interpolated {counts['done'] + counts['resumed']} clip(s), skipped {counts['skipped']} finished; "
          f"output in {args.out}/")
    return 0
