"""How much the TV term of the UHDVD loss weighs: loss share and gradient share at the output, on real 4K crops.

For each real 4K frame, a 512x512 crop (the paper's training crop) is blurred by an L-pixel horizontal box (a
motion-blur-like input; L = 13, 41, 81 by default), and the loss is evaluated at three outputs: the blurry input (an untrained identity
network), halfway between blurry and sharp, and the sharp frame (a perfect network). Printed per beta: the MSE part
(0.7 * finest-scale MSE), the TV part (beta * TV), the TV share of the loss, and the ratio of the gradient norms
d(TV part)/d(output) over d(MSE part)/d(output).

    .venv/bin/python benchmarks/tv_term.py [--images DIR] [--betas 1e-7 3.5e-8]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from uhdvd_model.train.losses import tv_loss


def crops(folder: Path, size: int = 512) -> list[np.ndarray]:
    out = []
    for p in sorted(folder.glob("*.jpg")) + sorted(folder.glob("*.png")):
        img = cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB)
        h, w = img.shape[:2]
        y, x = (h - size) // 2, (w - size) // 2
        out.append(img[y:y + size, x:x + size])
    return out


def parts(out: torch.Tensor, sharp: torch.Tensor, beta: float) -> tuple[float, float, float]:
    out = out.clone().requires_grad_(True)
    mse = 0.7 * F.mse_loss(out, sharp)
    g_mse = torch.autograd.grad(mse, out)[0]
    tv = beta * tv_loss(out)
    g_tv = torch.autograd.grad(tv, out)[0]
    return float(mse.detach()), float(tv.detach()), float(g_tv.norm() / g_mse.norm().clamp_min(1e-30))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", default="../shared/footage/4krd_vid001", help="folder of real 4K frames")
    ap.add_argument("--betas", type=float, nargs="+", default=[1e-7, 3.5e-8])
    ap.add_argument("--lengths", type=int, nargs="+", default=[13, 41, 81], help="blur lengths in pixels")
    args = ap.parse_args()
    imgs = crops(Path(args.images))
    if not imgs:
        raise SystemExit(f"{args.images}: no .jpg/.png frames")
    print(f"{len(imgs)} real 512x512 crops from {args.images}; blur = L-px horizontal box")
    print(f"{'beta':>8} {'L':>3} {'output':>8} {'0.7*MSE':>10} {'beta*TV':>10} {'total':>10} {'TV share':>9} "
          f"{'|grad TV|/|grad MSE|':>21}")
    for beta, n in ((b, n) for b in args.betas for n in args.lengths):
        kernel = np.full((1, n), 1 / n, np.float32)
        for name, a in (("blurry", 0.0), ("halfway", 0.5), ("sharp", 1.0)):
            rows = []
            for img in imgs:
                s = torch.from_numpy(img.astype(np.float32) / 255 - 0.5).permute(2, 0, 1)[None]
                b = cv2.filter2D(img.astype(np.float32), -1, kernel, borderType=cv2.BORDER_REFLECT) / 255 - 0.5
                b = torch.from_numpy(b).permute(2, 0, 1)[None]
                out = b + a * (s - b) if a < 1 else s + 1e-3 * torch.randn_like(s)  # sharp: tiny residual error
                rows.append(parts(out, s, beta))
            m, t, g = np.mean(rows, axis=0)
            print(f"{beta:>8.1e} {n:>3} {name:>8} {m:>10.3e} {t:>10.3e} {m + t:>10.3e} {t / (m + t):>9.1%} {g:>21.2f}")


if __name__ == "__main__":
    main()
