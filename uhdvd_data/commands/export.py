"""`uhdvd-data export`: GoPro / REDS / BasicSR folder trees from a manifest (hard links, or copies)."""

from __future__ import annotations

import argparse

HELP = "Export a dataset manifest as a GoPro, REDS or BasicSR folder tree (hard links where possible)"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help=HELP, description=HELP)
    p.add_argument("manifest", help="manifest CSV, e.g. manifests/4krd.csv")
    p.add_argument("--format", required=True, choices=["gopro", "reds", "basicsr"], help="target layout")
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..synth.export import export_manifest

    r = export_manifest(args.manifest, args.format, args.out)
    how = ", ".join(f"{v} {k}" for k, v in r.items() if k != "pairs")
    print(f"exported {r['pairs']} pairs as {args.format} to {args.out} ({how or 'nothing to do'})")
    return 0
