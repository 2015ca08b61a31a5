"""UHDVD, paper variant (default architecture, ``build_model("uhdvd")``).

Follows the paper (ICCV 2021, Sec. 3) where it is explicit, the authors' released code where the paper is silent or
cannot be followed literally; docs/bench_model.md ("Paper variant vs the paper and the released code") lists every
point with its reason.  Data flow (level 1 = finest, level 4 = 1/8 resolution):

* level inputs ``x_s = cat(prev_s, blur_s)`` (previous output first, 6 channels, paper Eq. 1), ``s = 1..4`` at
  ``H/2^(s-1)``; the pyramid is built with area (2^k x 2^k average) down-sampling, see :func:`pyramid` (the released
  code uses PIL bilinear resizes; the paper names no filter);
* encoder (released layout): conv 6->32 stride 1, 2 residual blocks, RCSA -> x1; conv stride 2, 2 blocks, RCSA -> x2;
  conv stride 2, 2 blocks, RCSA -> F.  The paper writes "stride 1" for the three convolutions, but without the two
  stride-2 convolutions the encoder would not down-sample and the decoder's stride-2/stride-4 deconvolutions could
  not return to the sizes the paper states, so the released strides are kept;
* decoder (paper, Sec. 3.1): ``decoder_blocks`` (default 3, the paper's "three ... residual module[s]"; the released
  code has 2) residual blocks before each of the two deconvolutions and before the final 3-channel convolution.  The
  third block of each stage has the keys the released numbering leaves free (``layer15``, ``layer19``, ``layer23``),
  so ``decoder_blocks=2`` has exactly the released keys (weights files from before this default hold 2 blocks and
  are recognised by :func:`uhdvd_model.weights.load_weights` from their keys);
* level ``s`` encodes ``J_s = 1, 2, 4, 8`` patches (:mod:`.spaa` layout), its features are stitched into the
  ``J_s/2`` layout of the next finer level and decoded there, together with the coarser level's feature up-sampled
  x2; the decoder's 3-channel output ``r_s`` (2x the level's resolution, stride-4 last deconvolution) is added,
  duplicated to 6 channels ``cat(r_s, r_s)``, to the next finer level's input patches;
* level 1 (paper: "... twice ... except the scale 1"): the last deconvolution has stride 2, so the output is at the
  input resolution (no resize; the released code uses stride 4 and resizes 2H x 2W back to H x W).

Returned list (finest first) for the multi-scale loss: ``[D1, D2, D3, D4]`` with ``D1`` the deblurred frame
(H x W, values around [-0.5, 0.5]) and ``D_s`` (s >= 2) = the full stitched output of level ``s``'s decoder,
area-down-sampled x2 to ``H/2^(s-1)`` (so that it lines up with :func:`pyramid` of the ground truth).

``global_residual=True`` (opt-in, not in the paper): every returned ``D_s`` is the decoder output plus the blurry
input of that scale, and the decoders' last convolutions start at zero, so the untrained network is the identity.
Training from scratch then starts at the blurry-input PSNR instead of having to learn to reproduce the image; the
demo uses it for its few-minute CPU training. It changes only the returned images, not the weight layout.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from . import spaa as _spaa
from .blocks import Decoder, Encoder, up2

J = (1, 2, 4, 8)


def pyramid(x: torch.Tensor, levels: int = 4) -> list[torch.Tensor]:
    """``[x, x/2, x/4, ...]`` by area averaging; use it for ground truth of the multi-scale loss too."""
    return [x] + [F.avg_pool2d(x, 2**k) for k in range(1, levels)]


class UHDVD(nn.Module):
    size_multiple = 128
    n_levels = 4
    variant = "paper"

    def __init__(self, spaa: str = "auto", attention: bool = True, level1_stride: int = 2,
                 global_residual: bool = False, decoder_blocks: int = 3):
        super().__init__()
        self.global_residual = global_residual
        if spaa != "auto":
            _spaa.resolve_mode(spaa, "cpu")  # validate early
        self.spaa = spaa
        self.level1_stride = level1_stride
        self.decoder_blocks = decoder_blocks
        for s in range(1, 5):
            setattr(self, f"encoder_lv{s}", Encoder(6, attention))
            setattr(self, f"decoder_lv{s}", Decoder(last_stride=level1_stride if s == 1 else 4, n_res=decoder_blocks))
        if global_residual:
            for s in range(1, 5):
                nn.init.zeros_(self.decoder(s).layer24.weight)
                nn.init.zeros_(self.decoder(s).layer24.bias)

    # -- helpers -------------------------------------------------------------------------------------------------
    def encoder(self, s: int) -> Encoder:
        return getattr(self, f"encoder_lv{s}")

    def decoder(self, s: int) -> Decoder:
        return getattr(self, f"decoder_lv{s}")

    def check_size(self, h: int, w: int) -> None:
        m = self.size_multiple
        if h % m or w % m:
            raise ValueError(f"{type(self).__name__} needs H and W multiples of {m}, got {h}x{w} "
                             "(pad with uhdvd_model.arch.padding.pad_to_multiple)")

    def level_inputs(self, blur: torch.Tensor, prev: torch.Tensor) -> list[torch.Tensor]:
        return [torch.cat([p, b], 1) for p, b in zip(pyramid(prev), pyramid(blur))]

    # -- forward -------------------------------------------------------------------------------------------------
    def forward(self, blur: torch.Tensor, prev: torch.Tensor | None = None) -> list[torch.Tensor]:
        """blur, prev: Bx3xHxW in [-0.5, 0.5]; prev None = first frame of a clip (prev = blur)."""
        self.check_size(blur.shape[-2], blur.shape[-1])
        if prev is None:
            prev = blur
        return self.forward_levels(self.level_inputs(blur, prev))

    def forward_levels(self, inputs: list[torch.Tensor], out_size: tuple[int, int] | None = None,
                       mode: str | None = None) -> list[torch.Tensor]:
        """Run the network on pre-built 6-channel level inputs (finest first)."""
        mode = _spaa.resolve_mode(mode or self.spaa, inputs[0].device)
        coarse: list[torch.Tensor] = []  # full stitched decoder outputs of levels 4, 3, 2
        feat = None  # coarser level's feature, up-sampled, in the layout of this level's decoder
        res = None  # coarser level's decoder output, in this level's patch layout
        for s in (4, 3, 2):
            j = J[s - 1]
            patches = _spaa.split(inputs[s - 1], j)
            if res is not None:
                patches = [p + torch.cat([r, r], 1) for p, r in zip(patches, res)]
            f, x1, x2 = _spaa.run(self.encoder(s), [patches], mode)
            jd = j // 2
            f, x1, x2 = _spaa.merge(f, jd), _spaa.merge(x1, jd), _spaa.merge(x2, jd)
            if feat is not None:
                f = [a + g for a, g in zip(f, feat)]
            res = _spaa.run(self.decoder(s), [f, x1, x2], mode)
            coarse.append(_spaa.merge_all(res))
            feat = [up2(t) for t in (_spaa.merge(f, jd // 2) if jd > 1 else f)]
        x = inputs[0] + torch.cat([res[0], res[0]], 1)
        f1, x1, x2 = self.encoder(1)(x)
        d1 = self.decode_level1(f1 + feat[0], x1, x2, out_size)
        outs = [d1] + [F.avg_pool2d(c, 2) for c in reversed(coarse)]
        if self.global_residual:
            outs = [d + inp[:, 3:6] for d, inp in zip(outs, inputs)]
        return outs

    def decode_level1(self, f, x1, x2, out_size):
        d = self.decoder(1)(f, x1, x2)
        if out_size is not None and tuple(d.shape[-2:]) != tuple(out_size):
            d = F.interpolate(d, size=out_size, mode="bilinear", align_corners=False)
        return d
