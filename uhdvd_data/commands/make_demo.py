"""`uhdvd-data make-demo`: render demo footage with exact 480 fps ground truth."""

from __future__ import annotations

import argparse

HELP = "Render demo footage (real photos, moving camera + object) with exact 480 fps ground truth"
DESCRIPTION = """\
Render short 30 fps clips from photographs shipped with scikit-image (astronaut, coffee, rocket, chelsea; the
photos motorcycle, immunohistochemistry and gravel are reserved for held-out benchmarks). Each clip has a smooth
hand-held-like camera path (translation, small rotation, zoom; background motion within --motion px per frame)
and an independently moving textured disc. Frames are formed like a camera forms them (4x4 samples per pixel,
0.5 px optics blur, area integration).

Writes OUT/<clip>.mp4 (H.264 lossless 4:4:4, 30 fps), OUT/truth480/<clip>/%06d.png (480 fps truth: truth
frame 16*i is video frame i) and OUT/truth480/<clip>/camera.json (path parameters), plus OUT/demo.json.
Rerunning with the same settings only finishes what is missing; a folder holding a different demo (or other
files) is refused unless --force. Deterministic for a given --seed."""


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, e.g. 320x180, got {text!r}") from None
    return w, h


def _range(text: str) -> tuple[float, float]:
    try:
        lo, hi = (float(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LO,HI, e.g. 10,40, got {text!r}") from None
    return lo, hi


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("make-demo", help=HELP, description=DESCRIPTION,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", metavar="OUT", help="output folder, e.g. raw_demo/")
    p.add_argument("--size", type=_size, default=(320, 180), help="WIDTHxHEIGHT (default 320x180)")
    p.add_argument("--clips", type=int, default=3, help="number of clips (default %(default)s)")
    p.add_argument("--frames", type=int, default=24, help="video frames per clip at 30 fps (default %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the camera/object paths (default %(default)s)")
    p.add_argument("--motion", type=_range, default=(10.0, 40.0),
                   help="background motion range in px per 30 fps frame (default 10,40)")
    p.add_argument("--no-truth", action="store_true", help="skip the 480 fps truth PNGs (camera.json is still written)")
    p.add_argument("--force", action="store_true", help="replace a different demo / write into a non-empty folder")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..demo import make_demo

    res = make_demo(args.out, size=args.size, clips=args.clips, frames=args.frames, seed=args.seed,
                    truth=not args.no_truth, force=args.force, motion=args.motion, progress=not args.quiet)
    w, h = args.size
    if res["up_to_date"]:
        print(f"{args.out}: demo already complete ({len(res['clips'])} clips), nothing to do")
        return 0
    truth = "" if args.no_truth else f" + 480 fps truth in {args.out}/truth480/"
    print(f"made {len(res['made'])} clip(s) of {args.frames} frames at {w}x{h}, 30 fps in {args.out}/{truth}:")
    for name in res["clips"]:
        print(f"  {args.out}/{name}.mp4")
    return 0
