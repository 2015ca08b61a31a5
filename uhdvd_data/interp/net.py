"""Time-conditioned adaptive separable-convolution network applied on top of flow pre-warping.

SepConv-style U-Net (a stride-2 stem, then an encoder of conv blocks with average pooling, decoder with bilinear upsampling and skip
additions). Inputs: both pre-warped frames, both original frames, the time t (constant channel) and the flow
baseline's blend weight. Images are input-normalised (joint per-channel mean / std over the four images, as in
SepConv++). Outputs per pixel: for each frame a vertical and a horizontal K-tap kernel, plus a residual on the blend
mask. Kernels are `centre tap + d - mean(d)`, so they always sum to one (kernel normalisation) and the zero-initialised
head makes them identity kernels; the mask is `clamp(weight + dm, 0, 1)`. The untrained network therefore reproduces
the `dis` baseline exactly, and training starts from it. Frames are replicate-padded before the local convolution,
so borders are not darkened (padding awareness).
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .sepconv import sepconv

DEFAULT_K = 11
DEFAULT_WIDTHS = (16, 32, 64, 96, 128)


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU(inplace=True),
    )


def image_stats(*imgs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Joint per-channel mean/std over several B,3,H,W images (computed on the whole frame, shared by tiles)."""
    x = torch.cat([i.float() for i in imgs], 2)
    mean = x.mean((2, 3), keepdim=True)
    std = x.std((2, 3), keepdim=True).clamp_min(1e-2)
    return mean, std


class InterpNet(nn.Module):
    def __init__(self, k: int = DEFAULT_K, widths: tuple[int, ...] = DEFAULT_WIDTHS, t_gate: bool = False):
        super().__init__()
        self.t_gate = bool(t_gate)
        if k % 2 != 1 or k < 1:
            raise ValueError("kernel size must be odd")
        self.k = k
        self.widths = tuple(widths)
        self.size_multiple = 2 ** len(widths)
        # strided stem: the trunk runs at half resolution (4x cheaper); the kernel maps are upsampled bilinearly
        self.stem = nn.Sequential(nn.Conv2d(14, widths[0], 4, stride=2, padding=1), nn.ReLU(inplace=True))
        cin = widths[0]
        self.enc = nn.ModuleList()
        for w in widths:
            self.enc.append(_block(cin, w))
            cin = w
        self.dec = nn.ModuleList()
        for lvl in range(len(widths) - 1, 0, -1):
            self.dec.append(_block(widths[lvl], widths[lvl - 1]))
        self.head = nn.Sequential(
            nn.Conv2d(widths[0], widths[0], 3, padding=1), nn.ReLU(inplace=True), nn.Conv2d(widths[0], 4 * k + 1, 3, padding=1)
        )
        nn.init.zeros_(self.head[-1].weight)
        nn.init.zeros_(self.head[-1].bias)

    def config(self) -> dict:
        return {"arch": "interpnet", "k": self.k, "widths": list(self.widths), "t_gate": self.t_gate}

    def features(self, x: torch.Tensor) -> torch.Tensor:
        full = x.shape[-2:]
        x = self.stem(x)
        skips = []
        for i, blk in enumerate(self.enc):
            if i:
                x = F.avg_pool2d(x, 2)
            x = blk(x)
            skips.append(x)
        x = skips.pop()
        for blk in self.dec:
            skip = skips.pop()
            x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            x = blk(x) + skip
        return F.interpolate(self.head(x), size=full, mode="bilinear", align_corners=False)

    def forward(self, w0, w1, x0, x1, t, weight, stats=None):
        """w0, w1: pre-warped frames; x0, x1: originals (B,3,H,W in [0,1]); t: float or (B,) tensor;
        weight: (B,1,H,W) flow-baseline weight of frame 0. Returns the interpolated frame (B,3,H,W) fp32."""
        b, _, h, w = w0.shape
        mean, std = stats if stats is not None else image_stats(w0, w1, x0, x1)
        if not torch.is_tensor(t):
            t = torch.full((b,), float(t), device=w0.device)
        tmap = t.view(-1, 1, 1, 1).to(w0.dtype).expand(b, 1, h, w)
        norm = [(i - mean) / std for i in (w0, w1, x0, x1)]
        inp = torch.cat(norm + [tmap, weight * 2 - 1], 1)
        m = self.size_multiple
        ph, pw = (-h) % m, (-w) % m
        if ph or pw:
            inp = F.pad(inp, (0, pw, 0, ph), mode="replicate")
        out = self.features(inp)[:, :, :h, :w].float()
        if self.t_gate:
            # residuals fade out toward t = 0 and t = 1, where the pre-warped source frame is already (nearly) exact
            tt = t.view(-1, 1, 1, 1).float()
            out = out * (4.0 * tt * (1.0 - tt))
        return self.synthesize(out, w0, w1, weight)

    def synthesize(self, out: torch.Tensor, w0: torch.Tensor, w1: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        k = self.k
        c = k // 2
        kernels = []
        for n in range(4):
            d = out[:, n * k : (n + 1) * k]
            d = d - d.mean(1, keepdim=True)
            e = torch.zeros_like(d)
            e[:, c] = 1.0
            kernels.append(e + d)
        dm = out[:, 4 * k : 4 * k + 1]
        wf = weight.float()
        # where the flow baseline has only one valid frame (the other's sample lies outside its image: weight exactly
        # 0 or 1) the residual may not bring the invalid frame back
        mask = torch.where((wf > 0) & (wf < 1), (wf + dm).clamp(0.0, 1.0), wf)
        p = (c, c, c, c)
        s0 = sepconv(F.pad(w0.float(), p, mode="replicate"), kernels[0], kernels[1])
        s1 = sepconv(F.pad(w1.float(), p, mode="replicate"), kernels[2], kernels[3])
        return mask * s0 + (1 - mask) * s1
