"""Validation during training: PSNR of the model and of the blurry input on validation clips (never `test`).

Each clip runs recurrently from its first frame (previous output fed back). The work is bounded by three settings
resolved per device (see TrainConfig): the first `max_frames` frames of at most `max_clips` clips (evenly spaced over
the list), on a centre crop of `crop` pixels (a multiple of the model's size multiple; 0 = whole frames).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from uhdvd_data.common.device import autocast
from uhdvd_data.common.images import read_image

from ..data.manifest import Clip
from ..eval.metrics import mean, psnr, to_uint8


def _pad(x: torch.Tensor, multiple: int) -> torch.Tensor:
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    return F.pad(x, (0, pw, 0, ph), mode="replicate") if (ph or pw) else x


def _to_tensor(img: np.ndarray, device) -> torch.Tensor:
    scale = 65535.0 if img.dtype == np.uint16 else 255.0
    t = torch.from_numpy(img.astype(np.float32) / scale - 0.5).permute(2, 0, 1)[None]
    return t.to(device)


def pick_clips(clips: list[Clip], max_clips: int) -> list[Clip]:
    """At most `max_clips` clips, evenly spaced over the list (0 = all)."""
    if max_clips <= 0 or len(clips) <= max_clips:
        return list(clips)
    if max_clips == 1:
        return [clips[0]]
    return [clips[round(i * (len(clips) - 1) / (max_clips - 1))] for i in range(max_clips)]


def centre_crop(img: np.ndarray, crop: int) -> np.ndarray:
    if crop <= 0:
        return img
    h, w = img.shape[:2]
    y, x = max(0, (h - crop) // 2), max(0, (w - crop) // 2)
    return img[y:y + crop, x:x + crop]


@torch.no_grad()
def run_validation(model, clips: list[Clip], device, dtype, multiple: int, max_frames: int, crop: int = 0,
                   max_clips: int = 0) -> tuple[float, float]:
    """Mean PSNR (RGB, 8-bit rounded, no border crop) of the model and of the blurry input over the frames used."""
    was_training = model.training
    model.eval()
    got, base = [], []
    for clip in pick_clips(clips, max_clips):
        prev = None
        n = len(clip) if max_frames <= 0 else min(len(clip), max_frames)
        for i in range(n):
            b, s = centre_crop(read_image(clip.blur[i]), crop), centre_crop(read_image(clip.sharp[i]), crop)
            x = _to_tensor(b, device)
            h, w = x.shape[-2:]
            xp = _pad(x, multiple)
            prev = xp if prev is None else _pad(prev, multiple)
            with autocast(device, dtype):
                out = model(xp, prev)[0].float()[..., :h, :w]
            prev = out
            img = ((out[0] + 0.5) * 255.0 + 0.5).floor().clamp(0, 255).to(torch.uint8).permute(1, 2, 0).cpu().numpy()
            got.append(psnr(img, to_uint8(s)))
            base.append(psnr(to_uint8(b), to_uint8(s)))
    model.train(was_training)
    return mean(got), mean(base)
