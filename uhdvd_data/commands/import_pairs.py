"""`uhdvd-data import`: a pair manifest from a public deblurring dataset's folder tree (GoPro, REDS, DVD, 4KRD, ...)."""

from __future__ import annotations

import argparse

HELP = "Make a pair manifest from a GoPro, REDS, DVD or 4KRD folder tree (or any <clip>/{blur,sharp}/ tree)"
DESCRIPTION = HELP + """. The manifest has the columns `synthesize` writes (synthesis-only ones empty), so `verify`,
`report`, `export` and `uhdvd-train --manifest` take it as they are. Layouts (DIR is the dataset folder):
gopro: GOPRO_Large/{train,test}/<seq>/{blur,blur_gamma,sharp}/*.png (DIR may also be the folder holding
GOPRO_Large);
reds: {train,val}_blur[_comp]/<seq>/*.png + {train,val}_sharp/<seq>/*.png, clip ids <split>_<seq> (REDS's test
split has no public ground truth: papers report on val, which stays 'val');
dvd: {train,val,test}/<seq>/{input,GT}/*.jpg ('training'/'testing' accepted);
4krd: [{train,val,test}/]<VID>/{blurry,sharp}/*.jpg;
pairs: [{train,val,test}/]<clip>/{blur,sharp}/*.{png,jpg,tif}.
Blur and sharp frames pair by file name, in natural order (2.png before 10.png). Problems are reported before
anything is written."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help=HELP, description=DESCRIPTION)
    p.add_argument("format", choices=["gopro", "reds", "dvd", "4krd", "pairs"], help="layout of DIR")
    p.add_argument("dir", metavar="DIR", help="dataset folder")
    p.add_argument("--out", default=None, help="manifest CSV (default: manifests/<format>.csv); paths in it are "
                   "relative to its folder. A manifest not made by the same import is never overwritten")
    p.add_argument("--blur", default=None, choices=["blur", "blur_gamma", "blur_comp"],
                   help="blurry frames: gopro blur (default) or blur_gamma; reds blur (default) or blur_comp")
    p.add_argument("--split", default=None, choices=["train", "val", "test"],
                   help="4krd/pairs trees without train/val/test folders: split of every clip (default: train)")
    p.add_argument("--no-hash", action="store_true", help="leave blur_sha256/sharp_sha256 empty (faster)")
    p.add_argument("--jobs", type=int, default=1, help="parallel sha256 workers (default: 1)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def summary_line(fmt: str, splits: dict, out: str) -> str:
    parts = [f"{v['clips']} {k} clip{'s' * (v['clips'] != 1)} ({v['pairs']} pair{'s' * (v['pairs'] != 1)})"
             for k, v in splits.items()]
    return f"imported {fmt}: {', '.join(parts)} -> {out}"


def run(args: argparse.Namespace) -> int:
    from ..synth.importers import import_tree

    out = args.out or f"manifests/{args.format}.csv"
    r = import_tree(args.format, args.dir, out, blur=args.blur, split=args.split, hashes=not args.no_hash,
                    jobs=args.jobs, progress=not args.no_progress)
    if not r["split_level"]:
        print(f"{args.dir} has no train/val/test folders: every clip is {r['split']!r}"
              + ("" if args.split else " (choose with --split)"))
    print(summary_line(args.format, r["splits"], out))
    return 0
