"""`uhdvd-data verify`: check a dataset manifest against its files."""

from __future__ import annotations

import argparse
import sys

HELP = "Check a dataset manifest: files exist, sha256 match, no duplicate rows, splits do not share clips"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("verify", help=HELP, description=HELP + ". Exits 1 with a list of problems.")
    p.add_argument("manifest", help="manifest CSV, e.g. manifests/4krd.csv")
    p.add_argument("--no-hash", action="store_true", help="only check existence (skip sha256)")
    p.add_argument("--max-problems", type=int, default=50, help="problems to list (default: 50)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..synth.verify import verify_manifest

    n, problems = verify_manifest(args.manifest, hashes=not args.no_hash, progress=not args.no_progress)
    if problems:
        for p in problems[: args.max_problems]:
            print(p, file=sys.stderr)
        more = len(problems) - args.max_problems
        if more > 0:
            print(f"... and {more} more", file=sys.stderr)
        print(f"{args.manifest}: {len(problems)} problem(s) in {n} rows", file=sys.stderr)
        return 1
    print(f"{args.manifest}: OK ({n} pairs)")
    return 0
