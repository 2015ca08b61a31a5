"""Frame-by-frame recurrent deblurring (previous output fed back), for every architecture.

``Deblurrer(model)(rgb)`` takes an HxWx3 uint8/uint16 frame and returns the deblurred HxWx3 uint8 frame, rounded
half up (``floor(v*255 + 0.5)`` clamped), as the released script saved its PNGs.  The unclamped float output is
kept as the next frame's "previous"; :meth:`reset` starts a new clip (previous = the blurry frame itself).

* paper variant / DMPHN: frame in ``[0, 1] - 0.5``, replicate-padded to ``model.size_multiple``, cropped back;
* official-compatible variant: the released pre-processing — the 8-bit frame PIL-bilinear resized to multiples of
  128 and its 1/2, 1/4, 1/8 PIL resizes; previous output bilinearly resized with ``F.interpolate``; the level-1
  output (2H x 2W) resized to the frame size, in row tiles for bounded memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from uhdvd_data.common.device import autocast, pick_device, pick_dtype

from ..arch.padding import crop, pad_to_multiple


def to_tensor(rgb: np.ndarray, device: torch.device) -> torch.Tensor:
    """HxWx3 uint8/uint16 -> 1x3xHxW float32 in [-0.5, 0.5]."""
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected an HxWx3 RGB frame, got shape {rgb.shape}")
    scale = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}.get(rgb.dtype)
    if scale is None:
        raise ValueError(f"unsupported frame dtype {rgb.dtype} (uint8 or uint16)")
    rgb = np.ascontiguousarray(rgb)
    if not rgb.flags.writeable:
        rgb = rgb.copy()
    t = torch.from_numpy(rgb).to(device)
    return (t.permute(2, 0, 1).unsqueeze(0).float() / scale) - 0.5


def to_uint8(out: torch.Tensor) -> np.ndarray:
    """1x3xHxW output around [-0.5, 0.5] -> HxWx3 uint8, ``floor((v+0.5)*255 + 0.5)`` clamped."""
    v = ((out.float() + 0.5) * 255 + 0.5).clamp_(0, 255).to(torch.uint8)
    return v[0].permute(1, 2, 0).contiguous().cpu().numpy()


@dataclass
class Prepared:
    """Network inputs of one frame, on the device (:meth:`Deblurrer.prepare`).

    ``tensors``: paper / DMPHN: the padded frame, then the padded previous output when there is one; official: the
    four level inputs (finest first).  ``size``: the frame's (H, W), to crop (paper) or resize (official) back to."""

    tensors: list[torch.Tensor]
    size: tuple[int, int]


class Deblurrer:
    """Recurrent deblurring of a clip, one frame per call.  The three stages :meth:`prepare` (host frame -> device
    inputs), :meth:`forward` (the network) and :meth:`finish` (-> host uint8) can be called separately, e.g. to time
    them; ``d(rgb) == d.finish(d.forward(d.prepare(rgb)))``."""

    def __init__(self, model: torch.nn.Module, device: str | torch.device | None = None,
                 dtype: str | torch.dtype | None = None, channels_last: bool = True, compile: bool = False):
        self.device = device if isinstance(device, torch.device) else pick_device(device)
        self.dtype = dtype if isinstance(dtype, torch.dtype) else pick_dtype(dtype, self.device)
        self.channels_last = channels_last
        model = model.eval().to(self.device)
        if channels_last:
            model = model.to(memory_format=torch.channels_last)
        self.model = model
        self.official = getattr(model, "variant", "") == "official"
        self._fwd = torch.compile(model) if compile else model
        self._levels = torch.compile(model.forward_levels) if (compile and self.official) else (
            getattr(model, "forward_levels", None))
        self.prev: torch.Tensor | None = None

    def reset(self) -> None:
        """Start of a clip or a scene cut: the next frame uses itself as "previous"."""
        self.prev = None

    def _cl(self, x: torch.Tensor) -> torch.Tensor:
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x

    @torch.inference_mode()
    def prepare(self, rgb: np.ndarray) -> Prepared:
        """Stage 1, host frame -> network inputs on the device: host->device copy, [-0.5, 0.5] scaling and padding
        (paper / DMPHN), or the released PIL pre-processing and level inputs (official).  Uses the previous output;
        a change of frame size starts a new clip."""
        if self.prev is not None and tuple(self.prev.shape[-2:]) != tuple(rgb.shape[:2]):
            self.prev = None  # frame size changed: new clip
        if self.official:
            from ..arch.official import build_inputs, preprocess_blur

            levels = [to_tensor(a, self.device) for a in preprocess_blur(rgb)]
            return Prepared([self._cl(x) for x in build_inputs(levels, self.prev)], rgb.shape[:2])
        blur = to_tensor(rgb, self.device)
        m = self.model.size_multiple
        b, hw = pad_to_multiple(blur, m)
        p = None if self.prev is None else pad_to_multiple(self.prev, m)[0]
        return Prepared([self._cl(b)] + ([] if p is None else [self._cl(p)]), hw)

    @torch.inference_mode()
    def forward(self, inputs: Prepared) -> torch.Tensor:
        """Stage 2, the network only (under autocast): returns the unclamped 1x3xHxW float32 output at the frame's
        size, and keeps it as the next frame's "previous"."""
        with autocast(self.device, self.dtype):
            if self.official:
                out = self._levels(inputs.tensors, out_size=inputs.size)[0]
            else:
                b, p = inputs.tensors[0], (inputs.tensors[1] if len(inputs.tensors) > 1 else None)
                out = crop(self._fwd(b, p)[0], inputs.size)
        out = out.float()
        self.prev = out
        return out

    @staticmethod
    def finish(out: torch.Tensor) -> np.ndarray:
        """Stage 3, output tensor -> HxWx3 uint8 in host memory, rounded half up (see :func:`to_uint8`)."""
        return to_uint8(out)

    def run(self, rgb: np.ndarray) -> torch.Tensor:
        """Deblur one frame (``prepare`` then ``forward``); returns the unclamped 1x3xHxW float32 output (also kept
        as "previous")."""
        return self.forward(self.prepare(rgb))

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        """Deblur one frame to HxWx3 uint8: ``finish(forward(prepare(rgb)))``."""
        return self.finish(self.run(rgb))
