"""`uhdvd-data merge`: combine shard manifests (from `synthesize --shard i/n`) into one."""

from __future__ import annotations

import argparse

HELP = "Merge shard manifests into one (checks the shards used the same settings and share no pairs)"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("merge", help=HELP, description=HELP)
    p.add_argument("shards", nargs="+", help="shard manifest CSVs, e.g. manifests/4krd.shard-*-of-4.csv")
    p.add_argument("--out", default="manifests/4krd.csv", help="merged manifest (default: manifests/4krd.csv)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..synth.manifest import merge_manifests

    rows = merge_manifests(args.shards, args.out)
    print(f"merged {len(args.shards)} shard(s): {len(rows)} pairs -> {args.out}")
    return 0
