"""DMPHN(1-2-4-8) baseline (Zhang et al., CVPR 2019): deep multi-patch hierarchical network.

Four levels at full resolution with 1, 2, 4, 8 patches (same patch layout as UHDVD, see :mod:`.spaa`); each level has
an encoder (conv 3->32, two residual blocks, stride-2 conv 32->64, two residual blocks, stride-2 conv 64->128, two
residual blocks) and a decoder (residual blocks and two stride-2 deconvolutions, no skip connections); features of a
level are stitched and added to the next finer level's features, decoder outputs are added to the next finer
level's input patches.  DMPHN is a single-image model: it takes the 3-channel blurry frame, ``prev`` is accepted for
interface compatibility and ignored.  Returns ``[D1]`` (the deblurred frame, H x W).
"""

from __future__ import annotations

import torch
from torch import nn

from . import spaa as _spaa
from .blocks import Decoder, Encoder

J = (1, 2, 4, 8)


class _DEncoder(Encoder):
    def __init__(self):
        super().__init__(cin=3, attention=False)

    def forward(self, x, groups: int = 1):  # DMPHN passes only the deepest feature on
        return super().forward(x, groups)[0]


class _DDecoder(Decoder):
    def __init__(self):
        super().__init__(last_stride=2, skips=False)

    def forward(self, x, groups: int = 1):  # type: ignore[override]
        return super().forward(x, None, None, groups)


class DMPHN(nn.Module):
    size_multiple = 16
    n_levels = 4
    variant = "dmphn"

    def __init__(self, spaa: str = "auto"):
        super().__init__()
        if spaa != "auto":
            _spaa.resolve_mode(spaa, "cpu")
        self.spaa = spaa
        for s in range(1, 5):
            setattr(self, f"encoder_lv{s}", _DEncoder())
            setattr(self, f"decoder_lv{s}", _DDecoder())

    def forward(self, blur: torch.Tensor, prev: torch.Tensor | None = None, mode: str | None = None):
        m = self.size_multiple
        if blur.shape[-2] % m or blur.shape[-1] % m:
            raise ValueError(f"DMPHN needs H and W multiples of {m}, got {blur.shape[-2]}x{blur.shape[-1]}")
        mode = _spaa.resolve_mode(mode or self.spaa, blur.device)
        feat = None
        res = None
        for s in (4, 3, 2, 1):
            j = J[s - 1]
            patches = _spaa.split(blur, j)
            if res is not None:
                patches = [p + r for p, r in zip(patches, res)]
            f = _spaa.run(getattr(self, f"encoder_lv{s}"), [patches], mode)
            if feat is not None:
                f = [a + g for a, g in zip(f, feat)]
            if s == 1:
                return [self.decoder_lv1(f[0])]
            jd = j // 2
            f = _spaa.merge(f, jd)
            feat = f
            res = _spaa.run(getattr(self, f"decoder_lv{s}"), [f], mode)
        raise AssertionError("unreachable")
