"""Linear light -> code values (`synth.crf.Codec.encode`, once per blurry frame) at 4K: the current search against the
exact thresholds vs the step-by-step walk it replaced (2026-12-07), on the same frames in one run. Both must give
identical codes (checked). Input: a scikit-image photo resized to the frame size, taken to linear light with each
curve and averaged with a shifted copy (a two-frame blur), so values fall between code levels as real averages do.

    .venv/bin/python benchmarks/crf_encode.py [--size 3840x2160] [--repeats 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from uhdvd_data.synth.crf import Codec, transfer  # noqa: E402


def stepwise_encode(codec: Codec, lin: np.ndarray) -> np.ndarray:
    """The walk used before: from the cell's code, one code up or down per pass until the thresholds agree."""
    idx = np.clip(lin * codec._k, 0, codec._k)
    g = codec._fine[idx.astype(np.int32)]
    flat = g.reshape(-1)
    sel = np.flatnonzero(flat & codec._FLAG)
    if sel.size:
        x = lin.reshape(-1)[sel]
        code = flat[sel] & ~codec._FLAG
        while True:
            up = x >= codec._thr_ext[code + 1]
            down = x < codec._thr_ext[code]
            if not (up.any() or down.any()):
                break
            code = code + up - down
        flat[sel] = code
    return g.astype(codec.dtype)


def frame(size: tuple[int, int], dtype, name: str) -> np.ndarray:
    import cv2
    from skimage import data

    w, h = size
    img = cv2.resize(data.astronaut(), (w, h), interpolation=cv2.INTER_CUBIC)
    maxv = np.iinfo(dtype).max
    codes = np.round(img.astype(np.float64) / 255 * maxv).astype(dtype)
    lin = Codec(transfer(name), dtype).to_linear(codes).astype(np.float64)
    return 0.5 * (lin + np.roll(lin, 7, axis=1))


def best(fn, args: tuple, repeats: int) -> tuple[float, np.ndarray]:
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn(*args)
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="3840x2160")
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    size = tuple(int(v) for v in a.size.lower().split("x"))
    print("| curve | bits | step-by-step walk (s/frame) | threshold search (s/frame) | speed-up | identical |")
    print("|---|---|---|---|---|---|")
    for name in ("srgb", "hlg", "pq"):
        for dtype in (np.uint8, np.uint16):
            codec = Codec(transfer(name), dtype)
            lin = frame(size, dtype, name)
            t_old, old = best(stepwise_encode, (codec, lin), a.repeats)
            t_new, new = best(codec.encode, (lin,), a.repeats)
            same = bool(np.array_equal(old, new))
            print(f"| {name} | {np.iinfo(dtype).bits} | {t_old:.2f} | {t_new:.2f} | {t_old / t_new:.1f}x | {same} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
