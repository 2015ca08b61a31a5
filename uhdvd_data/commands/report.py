"""`uhdvd-data report`: per-split counts, blur statistics, contact sheet PNG."""

from __future__ import annotations

import argparse

HELP = ("Summarise a dataset manifest: per-split counts, blur and quality statistics, contact sheet (with the worst "
        "pairs by interpolation self-check) and histogram PNGs")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help=HELP, description=HELP)
    p.add_argument("manifest", help="manifest CSV, e.g. manifests/4krd.csv")
    p.add_argument("compare", nargs="*", metavar="OTHER",
                   help="more manifests (e.g. an imported GoPro one) whose distributions are overlaid on this one's in "
                   "compare_hist.png")
    p.add_argument("--out", default=None, help="report folder (default: <manifest folder>/<name>_report/)")
    p.add_argument("--max-pairs", type=int, default=200, help="pairs sampled for statistics (default: 200)")
    p.add_argument("--sheet-pairs", type=int, default=8, help="pairs on the contact sheet (default: 8)")
    p.add_argument("--worst-pairs", type=int, default=4,
                   help="lowest-check_psnr pairs added to the contact sheet and worst_pairs.csv (default: 4)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..synth.report import format_table, make_report

    r = make_report(args.manifest, args.out, args.max_pairs, args.sheet_pairs, progress=not args.no_progress,
                    worst_pairs=args.worst_pairs)
    print(format_table(r["table"]))
    print(r["quality"])
    print(f"statistics on {r['sampled']} of {r['pairs']} pairs; wrote {r['out']}/"
          "{splits.csv, pair_stats.csv, contact_sheet.png, blur_hist.png, quality_hist.png, worst_pairs.csv}")
    if args.compare:
        from ..synth.report import compare_manifests

        for t in compare_manifests([args.manifest, *args.compare], r["out"], args.max_pairs, not args.no_progress):
            px = "n/a" if t["blur_px_p50_median"] is None else f"{t['blur_px_p50_median']:.2f} px"
            print(f"compare {t['manifest']}: {t['sampled']} pairs sampled, median |blur-sharp| {t['mad_median']:.2f}, "
                  f"gradient ratio {t['grad_ratio_median']:.3f}, blur length p50 {px}")
        print(f"wrote {r['out']}/compare_hist.png")
    return 0
