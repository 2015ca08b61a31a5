"""`uhdvd-eval`: score deblurring weights on manifest splits (PSNR, SSIM, SSIM-Y, model / end-to-end time),
side by side; `--table paper` adds the UHDVD paper's Table 1 layout over several datasets."""

from __future__ import annotations

import argparse

from uhdvd_data.common.errors import run_cli

HELP = "Evaluate deblurring weights on manifest splits against the blurry-input baseline"
DEFAULT_MANIFEST = "manifests/4krd.csv"


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="uhdvd-eval", description=HELP + ". Clips run recurrently in time order.")
    ap.add_argument("--manifest", action="append", default=None, metavar="CSV",
                    help="pair manifest CSV; repeat for several datasets, each named by its file stem "
                         f"(default {DEFAULT_MANIFEST})")
    ap.add_argument("--dataset-names", metavar="A,B", help="names of the datasets, one per --manifest, comma-separated")
    ap.add_argument("--weights", nargs="*", default=None, metavar="W",
                    help="weights to compare: .safetensors of ours, or the authors' 4KRD folder (several allowed; "
                    "default: the newest training run's runs/*/weights.safetensors; --weights alone: the blurry "
                    "input only)")
    ap.add_argument("--split", default="test", choices=["test", "val", "train", "all"], help="default test")
    ap.add_argument("--device", default=None, help="auto (default) | cpu | cuda")
    ap.add_argument("--dtype", default=None, choices=["bf16", "fp16", "fp32"],
                    help="inference dtype (default bf16 on CUDA, fp32 on CPU)")
    ap.add_argument("--max-frames", type=int, default=0, help="only the first N frames of each clip (0 = all)")
    ap.add_argument("--warmup", type=int, default=3, metavar="N",
                    help="untimed warm-up frames (first clip of each dataset) before timing each weights file; the "
                         "state is reset after, so scores do not change (default 3)")
    ap.add_argument("--table", default="default", choices=["default", "paper"],
                    help="paper: also print and write table_paper.md/.csv in the paper's Table 1 layout")
    ap.add_argument("--save-images", metavar="DIR",
                    help="write the deblurred frames to DIR/[<dataset>/]<weights>/<clip>/")
    ap.add_argument("--out", default="eval",
                    help="folder for eval_[<dataset>_]<split>.csv/.png and table_paper.* (default eval/)")
    ap.add_argument("--no-progress", action="store_true")
    return ap


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    from uhdvd_model.eval.evaluate import run
    from uhdvd_model.eval.metrics import CONVENTIONS
    from uhdvd_model.eval.report import format_table

    manifests = args.manifest or [DEFAULT_MANIFEST]
    if args.weights is None:
        from uhdvd_model.weights import latest_run_weights

        latest = latest_run_weights("uhdvd-eval")
        args.weights = [str(latest)] if latest else []
    names = [n.strip() for n in args.dataset_names.split(",")] if args.dataset_names else None
    res = run(manifests, args.weights, args.split, args.device, args.dtype, args.save_images, args.out,
              args.max_frames, progress=not args.no_progress, warmup=args.warmup, names=names, table=args.table)
    for ds in res.datasets:
        print(f"uhdvd-eval: {ds.manifest}, split {args.split}" + (f" ({ds.name})" if len(res.datasets) > 1 else ""))
        print(format_table(res.rows[ds.name], res.warmup if args.weights else None))
        print()
    print("conventions: " + CONVENTIONS)
    if args.table == "paper":
        print()
        print(res.paper_table)
    print("wrote " + ", ".join(map(str, res.paths)) + (f"; images in {args.save_images}" if args.save_images else ""))
    return 0


def main(argv: list[str] | None = None) -> int:
    raise SystemExit(run_cli("uhdvd-eval", _main, argv))
