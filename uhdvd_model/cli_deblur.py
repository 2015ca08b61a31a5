"""`uhdvd-deblur`: deblur a video or a folder of frames with UHDVD (or DMPHN) weights.

    uhdvd-deblur INPUT --weights W --out OUT [--device cuda] [--dtype bf16|fp16|fp32] [--compile] [--crf 18]
                 [--codec libx264] [--arch uhdvd|uhdvd_official|dmphn] [--spaa ...] [--tile-rows N]
    uhdvd-deblur convert CHECKPOINT_DIR out.safetensors
"""

from __future__ import annotations

import argparse
from fractions import Fraction

from uhdvd_data.common.errors import UserError, run_cli

HELP = "Deblur a video or a folder of frames (recurrent UHDVD; official 4KRD weights supported)"
NO_WEIGHTS = ("--weights is required: no trained default ships for the deblurrer and runs/ holds no training run "
              "(train with uhdvd-train, or give a .safetensors file or the authors' 4KRD folder with "
              "encoder_lv1..4.pkl / decoder_lv1..4.pkl)")


def _deblur_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="uhdvd-deblur", description=HELP,
        epilog="Convert the authors' checkpoint once: uhdvd-deblur convert CHECKPOINT_DIR out.safetensors")
    p.add_argument("input", help="video file or folder of PNG/JPG frames (name order)")
    p.add_argument("--weights", help=".safetensors (+ .json beside) or the authors' 4KRD checkpoint folder (default: "
                   "the newest training run's runs/*/weights.safetensors)")
    p.add_argument("--out", required=True, help="output folder of PNGs, or a .mp4/.mkv/.mov video")
    p.add_argument("--device", default=None, help="cuda, cuda:1, cpu (default: cuda when available)")
    p.add_argument("--dtype", default=None, choices=["bf16", "fp16", "fp32"],
                   help="compute precision (default bf16 on CUDA, fp32 on CPU)")
    p.add_argument("--compile", action="store_true", help="torch.compile the model (slow start, faster frames)")
    p.add_argument("--crf", type=int, default=18, help="video output quality (default 18)")
    p.add_argument("--codec", default="libx264", help="video encoder (default libx264; libx265, ffv1 ...)")
    p.add_argument("--fps", default=None, help="frame rate of a video written from an image folder (default 30)")
    p.add_argument("--arch", default=None, choices=["uhdvd", "uhdvd_official", "dmphn"],
                   help="build this architecture instead of the one the weights name (same keys required)")
    p.add_argument("--spaa", default=None, choices=["auto", "serial", "batch", "grouped"],
                   help="patch execution (default auto: fastest measured on this device type)")
    p.add_argument("--tile-rows", type=int, default=None,
                   help="official variant: level-1 decoder tile height in 1/4-res rows (0 = untiled)")
    p.add_argument("--scene-threshold", type=float, default=None,
                   help="thumbnail-correlation threshold for scene cuts (reset the recurrence); 0 disables")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def _convert(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="uhdvd-deblur convert",
                                description="Convert the authors' 4KRD checkpoint folder to .safetensors + .json")
    p.add_argument("checkpoint_dir", help="folder with encoder_lv1..4.pkl and decoder_lv1..4.pkl")
    p.add_argument("out", help="output .safetensors file (a .json sidecar is written beside it)")
    a = p.parse_args(argv)
    from uhdvd_model.weights import convert

    out = convert(a.checkpoint_dir, a.out)
    print(f"wrote {out} and {out.with_suffix('.json')}")
    return 0


def _main(argv: list[str] | None) -> int:
    import sys

    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "convert":
        return _convert(argv[1:])
    a = _deblur_parser().parse_args(argv)
    if not a.weights:
        from uhdvd_model.weights import latest_run_weights

        latest = latest_run_weights("uhdvd-deblur")
        if latest is None:
            raise UserError(NO_WEIGHTS)
        a.weights = str(latest)
    fps = None
    if a.fps:
        try:
            fps = Fraction(a.fps)
        except (ValueError, ZeroDivisionError) as e:
            raise UserError(f"--fps {a.fps!r}: not a frame rate") from e

    from uhdvd_data.common.device import pick_device, pick_dtype
    from uhdvd_model.infer.deblurrer import Deblurrer
    from uhdvd_model.infer.video import deblur_stream
    from uhdvd_model.weights import load_weights

    device = pick_device(a.device)
    dtype = pick_dtype(a.dtype, device)
    overrides = {}
    if a.spaa:
        overrides["spaa"] = a.spaa
    if a.tile_rows is not None:
        overrides["tile_rows"] = a.tile_rows
    model, _ = load_weights(a.weights, arch=a.arch, **overrides)
    d = Deblurrer(model, device=device, dtype=dtype, compile=a.compile)
    stats = deblur_stream(d, a.input, a.out, codec=a.codec, crf=a.crf, fps=fps,
                          scene_threshold=a.scene_threshold, progress=not a.no_progress)
    print(f"deblurred {stats['frames']} frame(s) -> {a.out} ({stats['resets']} scene reset(s))")
    return 0


def main(argv: list[str] | None = None) -> int:
    raise SystemExit(run_cli("uhdvd-deblur", _main, argv))
