"""`uhdvd-data interpolate INPUT... --fps 480`: interpolate footage to a high frame rate, one folder per clip."""

from __future__ import annotations

import argparse

from ..cluster import add_cluster_options
from ..interp.config import add_interp_options
from .preflight import add_space_option

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
    add_interp_options(p)
    p.add_argument("--format", default="png", choices=["png", "ffv1"],
                   help="png: one lossless PNG per frame (16-bit when the source is >8-bit); ffv1: one lossless "
                   "frames.mkv per clip (much smaller; an interrupted clip is redone instead of resumed)")
    p.add_argument("--force", action="store_true", help="redo finished clips")
    p.add_argument("--jobs", type=int, default=1,
                   help="clips processed in parallel worker processes (CPU; default 1; the CPU threads are split)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--skip-bad", action="store_true",
                   help="leave out clips that cannot be read (each named in a warning) instead of stopping before "
                   "any work")
    add_space_option(p)
    add_cluster_options(p)
    p.set_defaults(func=run)


def probe_all(paths: list, skip_bad: bool, where: str) -> dict:
    """{path: ClipInfo} of every clip, probed before any work: a bad one stops the run with nothing written, or with
    skip_bad is left out with a warning."""
    from ..common.errors import UserError
    from ..video import probe_many

    try:
        infos, _ = probe_many(paths, hash=False, skip_bad=skip_bad)
    except UserError as e:
        raise UserError(f"{e}; nothing was interpolated (--skip-bad leaves unreadable clips out)") from None
    if not infos:
        raise UserError(f"no readable clip in {where}")
    return infos


def run(args: argparse.Namespace) -> int:
    import os

    from tqdm import tqdm

    from ..cluster import cluster_from_args, spec_from_args
    from ..common.device import pick_device, pick_dtype
    from ..common.errors import UserError
    from ..interp import timegrid
    from ..interp.config import from_args
    from ..interp.pipeline import clip_id_for, expected_frames, interpolate_clip, make_method
    from ..video import find_videos

    try:
        target = timegrid.as_fraction(args.fps)
    except (ValueError, ZeroDivisionError) as e:
        raise UserError(f"--fps {args.fps!r} is not a frame rate") from e
    if target <= 0:
        raise UserError(f"--fps must be positive (got {args.fps})")
    cfg = from_args(args)
    spec = spec_from_args(args)  # checked before any work
    infos = probe_all(find_videos(args.inputs), args.skip_bad, " ".join(args.inputs))
    paths = list(infos)
    dev = pick_device(cfg.device)
    interp = make_method(**dict(cfg.method_kwargs(), device=dev, dtype=pick_dtype(cfg.dtype, dev)))
    ids: dict[str, str] = {}
    for path in paths:
        cid = clip_id_for(path)
        if cid in ids:
            raise UserError(f"{path}: same clip id {cid!r} as {ids[cid]} (rename one: outputs would collide)")
        ids[cid] = str(path)
    from .preflight import interpolate_space

    print(interpolate_space(paths, args.out, target, args.format, args.no_space_check, infos), flush=True)
    # with --cluster the runner shows clips and frames across the cluster
    overall = tqdm(total=len(paths), desc="clips", unit="clip", disable=args.no_progress or spec is not None,
                   position=0)
    counts = {"done": 0, "skipped": 0, "resumed": 0}
    clip_opts = dict(force=args.force, format=args.format, **cfg.clip_kwargs())

    def report(path, res):
        counts[res["status"]] += 1
        overall.update(1)
        cuts = len(res.get("boundaries") or [])
        overall.write(f"{clip_id_for(path)}: {res['status']}, {res['n_frames']} frames at {res['out_fps']:g} fps "
                      f"(x{res['factor']}, {res['method']}{f', {cuts} cut(s)' if cuts else ''})")

    method_args = dict(cfg.method_kwargs(), method=interp.name, weights=getattr(interp, "weights_path", None),
                       device=str(dev))
    if spec is not None:  # one Ray task per clip: clip_job, as the --jobs workers run it
        from ..interp.pipeline import clip_job

        method_args["device"] = spec.device(cfg.device, dev.type == "cuda")
        cuda = method_args["device"].startswith("cuda")
        with cluster_from_args(args, show_progress=not args.no_progress) as runner:
            calls = [(clip_id_for(p), (str(p), args.out, str(target), method_args, clip_opts,
                                       max(1, int(spec.cpus_per_task)))) for p in paths]
            for i, res in runner.run(clip_job, calls, desc="interpolate", unit="frame", gpus=spec.gpus(cuda)):
                report(paths[i], res)
    elif args.jobs > 1 and len(paths) > 1:
        import concurrent.futures as cf
        import multiprocessing as mp

        from ..interp.pipeline import clip_job

        jobs = min(args.jobs, len(paths))
        threads = max(1, (os.cpu_count() or 1) // jobs)
        with cf.ProcessPoolExecutor(jobs, mp_context=mp.get_context("spawn")) as ex:
            futs = {ex.submit(clip_job, str(p), args.out, str(target), method_args, clip_opts, threads): p for p in paths}
            for fut in cf.as_completed(futs):
                report(futs[fut], fut.result())
    else:
        for path in paths:
            info = infos[path]
            factor = timegrid.factor_for(timegrid.Fraction(info.fps_num, info.fps_den), target)
            bar = tqdm(total=expected_frames(info, factor) or None, desc=clip_id_for(path), unit="fr", leave=False,
                       disable=args.no_progress, position=1)
            res = interpolate_clip(path, args.out, fps=target, interp=interp, progress=bar.update, **clip_opts)
            bar.close()
            report(path, res)
    overall.close()
    print(f"interpolated {counts['done'] + counts['resumed']} clip(s), skipped {counts['skipped']} finished; "
          f"output in {args.out}/")
    if spec is not None:
        runner.raise_failures()
    return 0
