"""Test helpers for training/eval tests: tiny manifests of PNG pairs and a tiny stand-in network.

The stand-in has UHDVD's forward contract: forward(blur, prev) -> [D1, D2, D3, D4] (finest first), inputs in
[-0.5, 0.5], size_multiple. Other test folders import this file by path.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from uhdvd_data.common.images import write_image

HERE = Path(__file__).resolve().parent


class TinyNet(nn.Module):
    """Residual 2-conv net applied at four scales."""

    size_multiple = 16
    arch_name = "tiny"

    def __init__(self, width: int = 8, nan: bool = False, nan_calls: tuple = ()):
        super().__init__()
        self.c1 = nn.Conv2d(6, width, 3, padding=1)
        self.c2 = nn.Conv2d(width, 3, 3, padding=1)
        self.nan, self.nan_calls, self.calls = nan, set(nan_calls), 0

    def forward(self, blur, prev):
        outs = []
        if self.training:
            self.calls += 1
        for s in range(4):
            b = F.avg_pool2d(blur, 2 ** s) if s else blur
            p = F.avg_pool2d(prev, 2 ** s) if s else prev
            y = b + self.c2(F.relu(self.c1(torch.cat([p, b], 1))))
            if self.nan or (self.training and self.calls in self.nan_calls):
                y = y * float("nan")
            outs.append(y)
        return outs


def tiny(**kw):
    return TinyNet(**kw)


def make_manifest(root: Path, clips=(("a", "train", 6), ("b", "train", 6), ("c", "test", 4)), h=64, w=96,
                  seed=0, name="manifests/4krd.csv", bit16=False) -> Path:
    """Write dataset/<split>/<clip>/{blur,sharp}/%06d.png and a manifest with the contract's columns (subset)."""
    rng = np.random.default_rng(seed)
    man = root / name
    man.parent.mkdir(parents=True, exist_ok=True)
    rows = []
    for clip_id, split, n in clips:
        base = rng.random((h // 8 + 2, w // 8 + 2, 3))
        for i in range(n):
            # a smooth moving pattern; blur = horizontal box blur of it
            big = np.kron(base, np.ones((8, 8, 1)))[i % 8: i % 8 + h, :w]
            sharp = np.clip(big + 0.1 * rng.random((h, w, 3)), 0, 1)
            k = 5
            blur = np.mean([np.roll(sharp, d, axis=1) for d in range(-(k // 2), k // 2 + 1)], axis=0)
            scale = 65535 if bit16 else 255
            dt = np.uint16 if bit16 else np.uint8
            d = root / "dataset" / split / clip_id
            bp, sp = d / "blur" / f"{i:06d}.png", d / "sharp" / f"{i:06d}.png"
            write_image(bp, np.round(blur * scale).astype(dt))
            write_image(sp, np.round(sharp * scale).astype(dt))
            rows.append({"clip_id": clip_id, "split": split, "pair_idx": i,
                         "blur_path": "../" + str(bp.relative_to(root)), "sharp_path": "../" + str(sp.relative_to(root)),
                         "src_frame": i * 13, "window": 13, "width": w, "height": h, "bit_depth": 16 if bit16 else 8})
    with open(man, "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=list(rows[0]))
        wr.writeheader()
        wr.writerows(rows)
    return man
