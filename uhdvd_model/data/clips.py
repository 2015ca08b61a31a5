"""Training samples: T consecutive blur/sharp pairs of one clip, cropped and augmented identically.

A sample is addressed by `(epoch, index)`; its crop position, flips and rotation come from a generator seeded with
`(seed, epoch, index)`, so a sample is the same in every process, worker and resumed run.
Values are `x / max - 0.5` (max = 255 for 8-bit, 65535 for 16-bit PNG), the paper's normalisation.
"""

from __future__ import annotations

import numpy as np
import torch
import torchvision.transforms.v2.functional as TF
from torch.utils.data import Dataset

from uhdvd_data.common.errors import UserError
from uhdvd_data.common.images import read_image

from .manifest import Clip


def to_unit(img: np.ndarray) -> np.ndarray:
    """uint8/uint16 HxWx3 -> float32 in [-0.5, 0.5]."""
    scale = 65535.0 if img.dtype == np.uint16 else 255.0
    return img.astype(np.float32) / scale - 0.5


class ClipDataset(Dataset):
    """Windows of `clip_len` consecutive pairs from each clip (stride 1); returns (blur, sharp) as T x 3 x crop x crop.

    Frames smaller than the crop are replicate-padded to the crop size (bottom/right). `augment` adds one random
    horizontal/vertical flip and a rot90 per sample (the same for all T frames); without it the crop is centred.
    Index items may be plain ints (epoch 0) or `(epoch, index)` tuples from `ClipSampler`.
    """

    def __init__(self, clips: list[Clip], clip_len: int, crop: int, seed: int = 0, augment: bool = True):
        if clip_len < 1:
            raise UserError(f"--clip-len must be >= 1 (got {clip_len})")
        self.clip_len, self.crop, self.seed, self.augment = clip_len, crop, seed, augment
        self.windows: list[tuple[Clip, int]] = []
        short = []
        for c in clips:
            if len(c) < clip_len:
                short.append(c.name)
                continue
            self.windows.extend((c, s) for s in range(len(c) - clip_len + 1))
        self.skipped = short
        if not self.windows:
            longest = max((len(c) for c in clips), default=0)
            raise UserError(f"no training clip has {clip_len} consecutive pairs (longest: {longest}); "
                            f"use a smaller --clip-len")

    def __len__(self) -> int:
        return len(self.windows)

    def params(self, epoch: int, index: int, h: int, w: int) -> dict:
        """Crop origin and augmentation for one sample, from (seed, epoch, index) only."""
        rng = np.random.default_rng([self.seed, epoch, index])
        c = self.crop
        if self.augment:
            y = int(rng.integers(0, max(0, h - c) + 1))
            x = int(rng.integers(0, max(0, w - c) + 1))
            hflip, vflip, rot = bool(rng.integers(2)), bool(rng.integers(2)), int(rng.integers(4))
        else:
            y, x = max(0, h - c) // 2, max(0, w - c) // 2
            hflip = vflip = False
            rot = 0
        return {"y": y, "x": x, "hflip": hflip, "vflip": vflip, "rot": rot}

    def _crop(self, img: np.ndarray, p: dict) -> np.ndarray:
        """One decoded HxWx3 frame -> its crop x crop window (replicate-padded bottom/right when smaller), before any
        conversion: a 4K frame is never turned into floats whole."""
        c = self.crop
        ph, pw = max(0, c - img.shape[0]), max(0, c - img.shape[1])
        if ph or pw:
            img = np.pad(img, ((0, ph), (0, pw), (0, 0)), mode="edge")
        return img[p["y"]: p["y"] + c, p["x"]: p["x"] + c]

    @staticmethod
    def _augment(frames: torch.Tensor, p: dict) -> torch.Tensor:
        """T x C x crop x crop: the sample's flips and rot90, for all T at once."""
        if p["hflip"]:
            frames = TF.horizontal_flip(frames)
        if p["vflip"]:
            frames = TF.vertical_flip(frames)
        if p["rot"]:
            frames = torch.rot90(frames, p["rot"], dims=(-2, -1))
        return frames.contiguous()

    def __getitem__(self, item) -> tuple[torch.Tensor, torch.Tensor]:
        epoch, index = item if isinstance(item, tuple) else (0, item)
        clip, start = self.windows[index]
        blur, sharp = [], []
        p = None
        for t in range(start, start + self.clip_len):
            b, s = read_image(clip.blur[t]), read_image(clip.sharp[t])
            if b.shape != s.shape:
                raise UserError(f"{clip.blur[t]}: size {b.shape[1]}x{b.shape[0]} differs from its sharp frame "
                                f"{clip.sharp[t]} ({s.shape[1]}x{s.shape[0]})")
            p = p or self.params(epoch, index, b.shape[0], b.shape[1])
            blur.append(to_unit(self._crop(b, p)))
            sharp.append(to_unit(self._crop(s, p)))
        to_t = lambda xs: torch.from_numpy(np.stack(xs)).permute(0, 3, 1, 2)  # noqa: E731
        return self._augment(to_t(blur), p), self._augment(to_t(sharp), p)
