"""`uhdvd-data probe`: inspect footage and write manifests/footage.csv."""

from __future__ import annotations

import argparse

HELP = "Probe footage (files or folders) and write manifests/footage.csv"
DESCRIPTION = """\
Probe video clips (.mp4/.mov/.mkv/.m4v/.avi/.mpg/.webm/.mts/...; folders are searched recursively): size after rotation, exact fps,
frame count, codec, bit depth, colour transfer (bt709/hlg/pq), display rotation, variable frame rate (judged from
the frame timestamps), audio, device make/model, sha256. Prints a table and writes the CSV atomically.

Bad clips (missing, empty, truncated, not a video, audio only, a single frame, unsupported codec or pixel format,
unreadable) stop the command with one line '<path>: <cause>' and no CSV is written. With --skip-bad each bad
clip is reported as a warning, the rest are probed and written (exit 0, or an error if no clip is usable)."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("probe", help=HELP, description=DESCRIPTION,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("paths", nargs="+", metavar="PATH", help="video files or folders (e.g. raw/)")
    p.add_argument("--out", default="manifests/footage.csv", help="CSV to write (default: %(default)s)")
    p.add_argument("--skip-bad", action="store_true", help="report bad clips and continue with the others")
    p.add_argument("--no-hash", action="store_true", help="skip the sha256 of each file (faster on huge clips)")
    p.set_defaults(func=run)


def format_table(infos) -> str:
    head = ["path", "size", "fps", "frames", "codec", "bits", "transfer", "rot", "VFR", "audio", "model"]
    rows = [head]
    for i in infos:
        rows.append([
            i.path, f"{i.width}x{i.height}", i.fps_str, str(i.frame_count), i.codec, str(i.bit_depth), i.transfer,
            str(i.rotation), "yes" if i.vfr else "no", "yes" if i.has_audio else "no", i.device_model or "-",
        ])
    widths = [max(len(r[c]) for r in rows) for c in range(len(head))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows)


def write_csv(path, infos) -> None:
    import csv

    from ..common.atomic import atomic_open
    from ..video import CSV_COLUMNS

    with atomic_open(path, "w") as f:
        w = csv.DictWriter(f, fieldnames=CSV_COLUMNS, lineterminator="\n")
        w.writeheader()
        for i in infos:
            w.writerow(i.as_row())


def run(args: argparse.Namespace) -> int:
    from ..common.errors import UserError, warn
    from ..video import find_videos, probe_many

    bad = 0
    if args.skip_bad:
        paths = []
        for p in args.paths:
            try:
                paths.extend(find_videos([p]))
            except UserError as e:
                warn(f"skipped {e}")
                bad += 1
    else:
        paths = find_videos(args.paths)
    found, skipped = probe_many(paths, hash=not args.no_hash, skip_bad=args.skip_bad)
    infos, bad = list(found.values()), bad + skipped
    if not infos:
        raise UserError(f"{' '.join(args.paths)}: no usable video clips ({bad} skipped)")
    print(format_table(infos))
    write_csv(args.out, infos)
    note = f", {bad} bad input(s) skipped" if bad else ""
    print(f"wrote {args.out} ({len(infos)} clip{'s' if len(infos) != 1 else ''}{note})")
    return 0
