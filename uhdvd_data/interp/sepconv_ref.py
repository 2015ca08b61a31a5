"""Adaptive separable local convolution, CPU/GPU reference in plain torch.

    out[b, c, y, x] = sum_{i, j} v[b, i, y, x] * h[b, j, y, x] * inp[b, c, y + i, x + j]

`inp` is the frame already padded by K // 2 on every side (B x C x (H+K-1) x (W+K-1)); v and h are B x K x H x W.
No unfold: the op loops over the K x K taps with in-place multiply-adds on strided views, one block of rows at a
time, so the extra memory is two row-blocks of the output, whatever K is. The backward pass is written by hand
(gradients for inp, v and h) and verified with torch.autograd.gradcheck in the tests.
"""

from __future__ import annotations

import torch

DEFAULT_ROWS = 64  # rows per block: bounds temporaries to B*C*64*W elements


def _check(inp: torch.Tensor, v: torch.Tensor, h: torch.Tensor) -> tuple[int, int, int]:
    if inp.dim() != 4 or v.dim() != 4 or h.dim() != 4:
        raise ValueError("sepconv expects 4-D tensors (B,C,H+K-1,W+K-1), (B,K,H,W), (B,K,H,W)")
    k = v.shape[1]
    if h.shape != v.shape:
        raise ValueError(f"v {tuple(v.shape)} and h {tuple(h.shape)} differ")
    height, width = v.shape[2], v.shape[3]
    if inp.shape[0] != v.shape[0] or inp.shape[2] != height + k - 1 or inp.shape[3] != width + k - 1:
        raise ValueError(f"input {tuple(inp.shape)} does not match kernels {tuple(v.shape)} (expected padding K-1)")
    return k, height, width


def sepconv_forward(inp: torch.Tensor, v: torch.Tensor, h: torch.Tensor, rows: int | None = None) -> torch.Tensor:
    k, height, width = _check(inp, v, h)
    rows = rows or DEFAULT_ROWS
    b, c = inp.shape[:2]
    out = inp.new_empty((b, c, height, width))
    for y0 in range(0, height, rows):
        y1 = min(height, y0 + rows)
        n = y1 - y0
        acc = out[:, :, y0:y1]
        acc.zero_()
        row = inp.new_empty((b, c, n, width))
        for i in range(k):
            row.zero_()
            for j in range(k):
                row.addcmul_(inp[:, :, y0 + i : y0 + i + n, j : j + width], h[:, j : j + 1, y0:y1])
            acc.addcmul_(row, v[:, i : i + 1, y0:y1])
    return out


def sepconv_backward(
    grad: torch.Tensor, inp: torch.Tensor, v: torch.Tensor, h: torch.Tensor, need=(True, True, True), rows: int | None = None
) -> tuple[torch.Tensor | None, torch.Tensor | None, torch.Tensor | None]:
    k, height, width = _check(inp, v, h)
    rows = rows or DEFAULT_ROWS
    b, c = inp.shape[:2]
    g_inp = torch.zeros_like(inp) if need[0] else None
    g_v = torch.empty_like(v) if need[1] else None
    g_h = torch.zeros_like(h) if need[2] else None
    for y0 in range(0, height, rows):
        y1 = min(height, y0 + rows)
        n = y1 - y0
        g = grad[:, :, y0:y1]
        row = inp.new_empty((b, c, n, width))
        for i in range(k):
            vi = v[:, i : i + 1, y0:y1]
            if need[1]:
                row.zero_()
                for j in range(k):
                    row.addcmul_(inp[:, :, y0 + i : y0 + i + n, j : j + width], h[:, j : j + 1, y0:y1])
                g_v[:, i, y0:y1] = (g * row).sum(1)
            gv = g * vi if (need[0] or need[2]) else None
            for j in range(k):
                patch = inp[:, :, y0 + i : y0 + i + n, j : j + width]
                if need[2]:
                    g_h[:, j, y0:y1] += (gv * patch).sum(1)
                if need[0]:
                    g_inp[:, :, y0 + i : y0 + i + n, j : j + width].addcmul_(gv, h[:, j : j + 1, y0:y1])
    return g_inp, g_v, g_h


class SepConvFunction(torch.autograd.Function):
    """Autograd wrapper of the reference op (hand-written backward)."""

    @staticmethod
    def forward(ctx, inp, v, h):
        ctx.save_for_backward(inp, v, h)
        return sepconv_forward(inp.contiguous(), v.contiguous(), h.contiguous())

    @staticmethod
    def backward(ctx, grad):
        inp, v, h = ctx.saved_tensors
        return sepconv_backward(grad.contiguous(), inp, v, h, need=ctx.needs_input_grad)


def sepconv_ref(inp: torch.Tensor, v: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    return SepConvFunction.apply(inp, v, h)


def sepconv_naive(inp: torch.Tensor, v: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """Direct formula with unfold (memory hungry); only for tests."""
    k, height, width = _check(inp, v, h)
    b, c = inp.shape[:2]
    patches = torch.nn.functional.unfold(inp, (k, k)).view(b, c, k, k, height, width)
    kern = v[:, :, None] * h[:, None, :]  # B K K H W
    return (patches * kern[:, None]).sum((2, 3))
