"""Validation during training: PSNR of the model and of the blurry input on whole validation frames."""

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


@torch.no_grad()
def run_validation(model, clips: list[Clip], device, dtype, multiple: int, max_frames: int) -> tuple[float, float]:
    """Mean PSNR (RGB, 8-bit rounded, no crop) of the model and of the blurry input over the validation frames."""
    was_training = model.training
    model.eval()
    got, base = [], []
    for clip in clips:
        prev = None
        n = len(clip) if max_frames <= 0 else min(len(clip), max_frames)
        for i in range(n):
            b, s = read_image(clip.blur[i]), read_image(clip.sharp[i])
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
