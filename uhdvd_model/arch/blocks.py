"""Building blocks shared by UHDVD (paper and official-compatible) and DMPHN.

Every block takes ``groups``: with ``groups=n`` the input holds ``n`` patches concatenated on the channel axis
(the SPAA "grouped" execution of the paper) and each convolution runs as a grouped convolution whose weights are
the block's own weights repeated ``n`` times, so one set of parameters serves all patches.  With ``groups=1`` the
blocks are ordinary modules (patches, if any, are in the batch dimension).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def conv3x3(cin: int, cout: int, stride: int = 1, bias: bool = True) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel_size=3, stride=stride, padding=1, bias=bias)


def gconv(conv: nn.Conv2d, x: torch.Tensor, groups: int = 1) -> torch.Tensor:
    """Apply ``conv`` to ``groups`` channel-concatenated patches with one grouped convolution."""
    if groups == 1:
        return conv(x)
    w = conv.weight.repeat(groups, 1, 1, 1)
    b = None if conv.bias is None else conv.bias.repeat(groups)
    return F.conv2d(x, w, b, conv.stride, conv.padding, conv.dilation, groups * conv.groups)


def gdeconv(deconv: nn.ConvTranspose2d, x: torch.Tensor, groups: int = 1) -> torch.Tensor:
    """Grouped counterpart of :func:`gconv` for transposed convolutions."""
    if groups == 1:
        return deconv(x)
    w = deconv.weight.repeat(groups, 1, 1, 1)  # (cin, cout, k, k) -> (groups*cin, cout, k, k)
    b = None if deconv.bias is None else deconv.bias.repeat(groups)
    return F.conv_transpose2d(x, w, b, deconv.stride, deconv.padding, deconv.output_padding,
                              groups * deconv.groups, deconv.dilation)


class ResBlock(nn.Sequential):
    """``x + conv3x3(relu(conv3x3(x)))``; keys ``.0.*`` and ``.2.*`` like the released code."""

    def __init__(self, ch: int):
        super().__init__(conv3x3(ch, ch), nn.ReLU(inplace=True), conv3x3(ch, ch))

    def forward(self, x: torch.Tensor, groups: int = 1) -> torch.Tensor:  # type: ignore[override]
        y = gconv(self[0], x, groups)
        y = F.relu(y, inplace=True)
        y = gconv(self[2], y, groups)
        return y.add_(x)


def up2(x: torch.Tensor) -> torch.Tensor:
    """Bilinear x2 up-sampling with torch defaults (align_corners=False), as the released code."""
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)


class ChannelAttention(nn.Module):
    """CAM: sigmoid(M(avgpool(x)) + M(maxpool(x))), M = 1x1 C->C/8, ReLU, 1x1 C/8->C (no biases)."""

    def __init__(self, ch: int):
        super().__init__()
        hidden = max(ch // 8, 1)
        self.fc1 = nn.Conv2d(ch, hidden, 1, bias=False)
        self.fc2 = nn.Conv2d(hidden, ch, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        avg = F.adaptive_avg_pool2d(x, 1)
        mx = F.adaptive_max_pool2d(x, 1)
        both = torch.cat([avg, mx], 0)  # one pass through the shared MLP
        y = self.fc2(F.relu(self.fc1(both)))
        a, m = y.chunk(2, 0)
        return torch.sigmoid(a + m)


class SpatialAttention(nn.Module):
    """SAM: sigmoid(conv3x3([mean_c(x), max_c(x)])) with a 2->1 convolution without bias."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(2, 1, 3, padding=1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = torch.cat([x.mean(1, keepdim=True), x.amax(1, keepdim=True)], 1)
        return torch.sigmoid(self.conv1(s))


def rcsa(ca: ChannelAttention, sa: SpatialAttention, x: torch.Tensor, groups: int = 1) -> torch.Tensor:
    """RCSA attention + residual: ``o = CA(x)*x; o = SA(o)*o; out = o + x``.

    For grouped execution the tensor is reshaped so that patches go to the batch dimension (paper, Sec. 3.2).
    """
    if groups > 1:
        b, c, h, w = x.shape
        xb = x.reshape(b * groups, c // groups, h, w)
        return rcsa(ca, sa, xb, 1).reshape(b, c, h, w)
    o = ca(x) * x
    if torch.is_grad_enabled():
        o = o * sa(o)
        return o + x
    o = o.mul_(sa(o))
    return o.add_(x)


class RCSA(nn.Module):
    """Stand-alone RCSA module (residual + channel attention + spatial attention)."""

    def __init__(self, ch: int):
        super().__init__()
        self.ca = ChannelAttention(ch)
        self.sa = SpatialAttention()

    def forward(self, x: torch.Tensor, groups: int = 1) -> torch.Tensor:
        return rcsa(self.ca, self.sa, x, groups)


class Encoder(nn.Module):
    """UHDVD encoder with the released key layout.

    layer1 conv 6->32, layer2/3 residual, ca1/sa1 -> x1 (32 ch, full); layer5 stride-2 conv 32->64, layer6/7, ca2/sa2
    -> x2 (64 ch, 1/2); layer9 stride-2 conv 64->128, layer10/11, ca3/sa3 -> F (128 ch, 1/4).
    """

    def __init__(self, cin: int = 6, attention: bool = True):
        super().__init__()
        self.attention = attention
        self.layer1 = conv3x3(cin, 32)
        self.layer2 = ResBlock(32)
        self.layer3 = ResBlock(32)
        self.layer5 = conv3x3(32, 64, stride=2)
        self.layer6 = ResBlock(64)
        self.layer7 = ResBlock(64)
        self.layer9 = conv3x3(64, 128, stride=2)
        self.layer10 = ResBlock(128)
        self.layer11 = ResBlock(128)
        if attention:
            self.ca1, self.sa1 = ChannelAttention(32), SpatialAttention()
            self.ca2, self.sa2 = ChannelAttention(64), SpatialAttention()
            self.ca3, self.sa3 = ChannelAttention(128), SpatialAttention()

    def forward(self, x: torch.Tensor, groups: int = 1):
        x = gconv(self.layer1, x, groups)
        x = self.layer3(self.layer2(x, groups), groups)
        if self.attention:
            x = rcsa(self.ca1, self.sa1, x, groups)
        x1 = x
        x = gconv(self.layer5, x, groups)
        x = self.layer7(self.layer6(x, groups), groups)
        if self.attention:
            x = rcsa(self.ca2, self.sa2, x, groups)
        x2 = x
        x = gconv(self.layer9, x, groups)
        x = self.layer11(self.layer10(x, groups), groups)
        if self.attention:
            x = rcsa(self.ca3, self.sa3, x, groups)
        return x, x1, x2


# Residual-block names of the decoder's three stages (at 1/4, 1/2 and the output resolution of the encoder input).
# The released code numbers its layers 13-24 and leaves 15, 19 and 23 unused, one free slot per stage after its two
# residual blocks; ``n_res=3`` puts the paper's third block there, so ``n_res=2`` keys are the released ones exactly.
DECODER_RES_SLOTS = ((13, 14, 15), (17, 18, 19), (21, 22, 23))


class Decoder(nn.Module):
    """UHDVD decoder with the released key layout (layer13 .. layer24), no attention.

    ``last_stride`` is 4 for the released code at every level (output 2x the encoder input) and 2 for the paper's
    level 1 (output at the encoder input size, skip x1 added without up-sampling).  ``skips=False`` gives the DMPHN
    decoder (no skip connections, both deconvolutions stride 2).  ``n_res`` (1-3) residual blocks per stage: 2 in
    the released code (keys ``layer13/14``, ``layer17/18``, ``layer21/22``), 3 in the paper (adds ``layer15``,
    ``layer19``, ``layer23``, see :data:`DECODER_RES_SLOTS`).
    """

    def __init__(self, last_stride: int = 4, skips: bool = True, n_res: int = 2):
        super().__init__()
        if n_res not in (1, 2, 3):
            raise ValueError(f"Decoder n_res must be 1, 2 or 3 residual blocks per stage, got {n_res!r}")
        self.last_stride = last_stride
        self.skips = skips
        self.n_res = n_res
        # registration order = execution order, so state_dict keys are deterministic and n_res=2 matches the release
        self.stage_names = tuple(tuple(f"layer{i}" for i in slots[:n_res]) for slots in DECODER_RES_SLOTS)
        for name in self.stage_names[0]:
            self.add_module(name, ResBlock(128))
        self.layer16 = nn.ConvTranspose2d(128, 64, kernel_size=4, stride=2, padding=1)
        for name in self.stage_names[1]:
            self.add_module(name, ResBlock(64))
        if last_stride == 4:
            self.layer20 = nn.ConvTranspose2d(64, 32, kernel_size=4, stride=4, padding=0)
        else:
            self.layer20 = nn.ConvTranspose2d(64, 32, kernel_size=4, stride=2, padding=1)
        for name in self.stage_names[2]:
            self.add_module(name, ResBlock(32))
        self.layer24 = conv3x3(32, 3)

    def stage(self, k: int, x: torch.Tensor, groups: int = 1) -> torch.Tensor:
        """The residual blocks of stage ``k`` (0: 1/4, 1: 1/2, 2: output resolution), in order."""
        for name in self.stage_names[k]:
            x = getattr(self, name)(x, groups)
        return x

    def low(self, x: torch.Tensor, x2: torch.Tensor | None = None, groups: int = 1) -> torch.Tensor:
        """Stages at 1/4 and 1/2 of the encoder input: layer13/14(/15), deconv layer16 (+ x2), layer17/18(/19)."""
        x = self.stage(0, x, groups)
        x = gdeconv(self.layer16, x, groups)
        if self.skips:
            x = x.add_(x2)
        return self.stage(1, x, groups)

    def high(self, x: torch.Tensor, x1: torch.Tensor | None = None, groups: int = 1) -> torch.Tensor:
        """Stages at the output resolution: deconv layer20 (+ x1, up-sampled x2 for stride 4), layer21/22(/23),
        layer24."""
        x = gdeconv(self.layer20, x, groups)
        if self.skips:
            x = x.add_(up2(x1) if self.last_stride == 4 else x1)
        x = self.stage(2, x, groups)
        return gconv(self.layer24, x, groups)

    def forward(self, x: torch.Tensor, x1: torch.Tensor | None = None, x2: torch.Tensor | None = None,
                groups: int = 1) -> torch.Tensor:
        return self.high(self.low(x, x2, groups), x1, groups)
