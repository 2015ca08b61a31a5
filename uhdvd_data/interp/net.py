"""Time-conditioned adaptive separable-convolution network applied on top of flow pre-warping.

SepConv-style U-Net (a stride-2 stem, then an encoder of conv blocks with average pooling, decoder with bilinear upsampling and skip
additions). Inputs: both pre-warped frames, both original frames, the time t (constant channel) and the flow
baseline's blend weight. Images are input-normalised (joint per-channel mean / std over the four images, as in
SepConv++). Outputs per pixel: for each frame a vertical and a horizontal K-tap kernel, plus a residual on the blend
mask. Kernels are `centre tap + d - mean(d)`, so they always sum to one (kernel normalisation) and the zero-initialised
head makes them identity kernels; the mask is `clamp(weight + dm, 0, 1)`. The untrained network therefore reproduces
the `dis` baseline exactly, and training starts from it. Frames are replicate-padded before the local convolution,
so borders are not darkened (padding awareness).

With `layer=True` the network also sees both frames warped by the dominant (camera) motion layer alone
(motion.layer_prewarp, 8 more input channels) and predicts two more maps: a gate g and a mix gc; the output becomes
`(1 - g) * sepconv_result + g * (gc * camera_warp0 + (1 - gc) * camera_warp1)`. Around fast movers the fused motion
at t is often wrong over a band a few pixels wide where the camera layer is right (oracle selection: +3-4 dB on the
benchmark scenes). g is exactly 0 for a zero head, so such a network still starts as `dis`.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .sepconv import sepconv

DEFAULT_K = 11
DEFAULT_WIDTHS = (16, 32, 64, 96, 128)
BASE_IN = 14  # 4 normalised images, t, blend weight
LAYER_IN = 8  # 2 camera-layer warps, 2 inside masks
_GATE_BIAS = -4.0  # g = sigmoid(GATE_GAIN d - 4) rescaled so that d = 0 gives exactly 0
_GATE_GAIN = 20.0  # the gate and mix outputs are scaled up: Adam moves every weight by ~lr per step, so unscaled
# they would need thousands of steps to open the gate at all (measured: logit 0.1 after 300 steps)
_GATE_ZERO = 1.0 / (1.0 + math.exp(-_GATE_BIAS))  # sigmoid(_GATE_BIAS): subtracted so that a zero head gives g = 0


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


def stand_in_candidate(w0: torch.Tensor, w1: torch.Tensor) -> torch.Tensor:
    """The (B,8,H,W) candidate of a pair without a motion layer: the fused pre-warp itself, inside everywhere."""
    one = torch.ones_like(w0[:, :1])
    return torch.cat([w0, w1, one, one], 1)


class InterpNet(nn.Module):
    def __init__(self, k: int = DEFAULT_K, widths: tuple[int, ...] = DEFAULT_WIDTHS, t_gate: bool = False,
                 layer: bool = False):
        super().__init__()
        self.t_gate = bool(t_gate)
        self.layer = bool(layer)
        if k % 2 != 1 or k < 1:
            raise ValueError("kernel size must be odd")
        self.k = k
        self.widths = tuple(widths)
        self.size_multiple = 2 ** len(widths)
        # strided stem: the trunk runs at half resolution (4x cheaper); the kernel maps are upsampled bilinearly
        self.stem = nn.Sequential(nn.Conv2d(BASE_IN + LAYER_IN * self.layer, widths[0], 4, stride=2, padding=1), nn.ReLU(inplace=True))
        cin = widths[0]
        self.enc = nn.ModuleList()
        for w in widths:
            self.enc.append(_block(cin, w))
            cin = w
        self.dec = nn.ModuleList()
        for lvl in range(len(widths) - 1, 0, -1):
            self.dec.append(_block(widths[lvl], widths[lvl - 1]))
        self.head = nn.Sequential(
            nn.Conv2d(widths[0], widths[0], 3, padding=1), nn.ReLU(inplace=True), nn.Conv2d(widths[0], self.n_out, 3, padding=1)
        )
        nn.init.zeros_(self.head[-1].weight)
        nn.init.zeros_(self.head[-1].bias)

    @property
    def n_out(self) -> int:
        return 4 * self.k + 1 + 2 * self.layer

    def config(self) -> dict:
        return {"arch": "interpnet", "k": self.k, "widths": list(self.widths), "t_gate": self.t_gate, "layer": self.layer}

    def with_layer_inputs(self) -> InterpNet:
        """A copy with the camera-layer candidate (layer=True) that computes exactly what this network computes:
        new stem inputs and new head outputs start at zero."""
        if self.layer:
            return self
        new = InterpNet(self.k, self.widths, self.t_gate, layer=True).to(next(self.parameters()).device)
        sd = new.state_dict()
        for name, v in self.state_dict().items():
            if sd[name].shape == v.shape:
                sd[name] = v.clone()
            elif name == "stem.0.weight":
                sd[name] = torch.cat([v, torch.zeros_like(sd[name][:, BASE_IN:])], 1)
            else:  # head weight / bias: the old outputs first, the gate and mix outputs zero
                sd[name] = torch.cat([v, torch.zeros_like(sd[name][v.shape[0]:])], 0)
        new.load_state_dict(sd)
        return new

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

    def forward(self, w0, w1, x0, x1, t, weight, stats=None, cand=None):
        """w0, w1: pre-warped frames; x0, x1: originals (B,3,H,W in [0,1]); t: float or (B,) tensor;
        weight: (B,1,H,W) flow-baseline weight of frame 0; cand: motion.layer_prewarp's (B,8,H,W) (layer networks
        only; None = no layer: the fused pre-warp stands in with full masks). Returns the frame (B,3,H,W) fp32."""
        b, _, h, w = w0.shape
        mean, std = stats if stats is not None else image_stats(w0, w1, x0, x1)
        if not torch.is_tensor(t):
            t = torch.full((b,), float(t), device=w0.device)
        tmap = t.view(-1, 1, 1, 1).to(w0.dtype).expand(b, 1, h, w)
        norm = [(i - mean) / std for i in (w0, w1, x0, x1)]
        parts = norm + [tmap, weight * 2 - 1]
        if self.layer:
            if cand is None:
                cand = stand_in_candidate(w0, w1)
            parts += [(cand[:, 0:3] - mean) / std, (cand[:, 3:6] - mean) / std, cand[:, 6:8] * 2 - 1]
        inp = torch.cat(parts, 1)
        m = self.size_multiple
        ph, pw = (-h) % m, (-w) % m
        if ph or pw:
            inp = F.pad(inp, (0, pw, 0, ph), mode="replicate")
        out = self.features(inp)[:, :, :h, :w].float()
        if self.t_gate:
            # residuals fade out toward t = 0 and t = 1, where the pre-warped source frame is already (nearly) exact
            tt = t.view(-1, 1, 1, 1).float()
            out = out * (4.0 * tt * (1.0 - tt))
        res = self.synthesize(out, w0, w1, weight)
        if self.layer:
            res = self.mix_layer(out[:, 4 * self.k + 1 :], res, cand)
        return res

    @staticmethod
    def mix_layer(out: torch.Tensor, res: torch.Tensor, cand: torch.Tensor) -> torch.Tensor:
        """Gate in the camera-layer candidate; a warp whose sample lies outside its image never contributes."""
        g = (torch.sigmoid(_GATE_GAIN * out[:, 0:1] + _GATE_BIAS) - _GATE_ZERO) / (1 - _GATE_ZERO)
        gc = (0.5 + 0.25 * _GATE_GAIN * out[:, 1:2]).clamp(0.0, 1.0)
        in0, in1 = cand[:, 6:7].float(), cand[:, 7:8].float()
        gc = torch.where((in0 > 0.5) & (in1 > 0.5), gc, in0)
        g = g * torch.maximum(in0, in1)
        cam = gc * cand[:, 0:3].float() + (1 - gc) * cand[:, 3:6].float()
        return res + g * (cam - res)

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
