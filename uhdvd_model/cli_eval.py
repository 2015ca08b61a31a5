"""`uhdvd-eval`: score deblurring weights on a manifest split (PSNR, SSIM, SSIM-Y, runtime), side by side."""

from __future__ import annotations

import argparse

from uhdvd_data.common.errors import run_cli

HELP = "Evaluate deblurring weights on a manifest split against the blurry-input baseline"


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="uhdvd-eval", description=HELP + ". Clips run recurrently in time order.")
    ap.add_argument("--manifest", default="manifests/4krd.csv", help="pair manifest CSV (default manifests/4krd.csv)")
    ap.add_argument("--weights", nargs="*", default=[], metavar="W",
                    help="weights to compare: .safetensors of ours, or the authors' 4KRD folder (several allowed)")
    ap.add_argument("--split", default="test", choices=["test", "val", "train", "all"], help="default test")
    ap.add_argument("--device", default=None, help="auto (default) | cpu | cuda")
    ap.add_argument("--dtype", default=None, choices=["bf16", "fp16", "fp32"],
                    help="inference dtype (default bf16 on CUDA, fp32 on CPU)")
    ap.add_argument("--max-frames", type=int, default=0, help="only the first N frames of each clip (0 = all)")
    ap.add_argument("--save-images", metavar="DIR", help="write the deblurred frames to DIR/<weights>/<clip>/")
    ap.add_argument("--out", default="eval", help="folder for eval_<split>.csv and eval_<split>.png (default eval/)")
    ap.add_argument("--no-progress", action="store_true")
    return ap


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    from uhdvd_model.eval.evaluate import format_table, run
    from uhdvd_model.eval.metrics import CONVENTIONS

    rows, csv_path, png_path = run(args.manifest, args.weights, args.split, args.device, args.dtype,
                                   args.save_images, args.out, args.max_frames, progress=not args.no_progress)
    print(f"uhdvd-eval: {args.manifest}, split {args.split}")
    print(format_table(rows))
    print("conventions: " + CONVENTIONS)
    print(f"wrote {csv_path} and {png_path}" + (f"; images in {args.save_images}" if args.save_images else ""))
    return 0


def main(argv: list[str] | None = None) -> int:
    raise SystemExit(run_cli("uhdvd-eval", _main, argv))
