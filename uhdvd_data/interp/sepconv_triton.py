"""Triton kernels for the adaptive separable local convolution (see sepconv_ref for the definition).

One program computes a block of output pixels of one image for all channels; the taps loop in registers with fp32
accumulation, so nothing of size K x H x W is materialised beyond v and h themselves. The backward pass is also in
Triton: grad_v / grad_h per pixel, grad_input in gather form (no atomics). Tested against the reference on CPU with
the Triton interpreter (TRITON_INTERPRET=1) and on CUDA when a GPU is present.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

BLOCK = 128


@triton.jit
def _fwd_kernel(inp_ptr, v_ptr, h_ptr, out_ptr, H, W, Hp, Wp, C: tl.constexpr, K: tl.constexpr, BLOCK: tl.constexpr):
    b = tl.program_id(0)
    pid = tl.program_id(1)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    npix = H * W
    m = offs < npix
    y = offs // W
    x = offs % W
    kb = b * K * npix
    for c in tl.static_range(C):
        base = (b * C + c) * Hp * Wp
        acc = tl.zeros((BLOCK,), dtype=tl.float32)
        for i in range(K):
            vi = tl.load(v_ptr + kb + i * npix + offs, mask=m, other=0.0).to(tl.float32)
            row = tl.zeros((BLOCK,), dtype=tl.float32)
            for j in range(K):
                hj = tl.load(h_ptr + kb + j * npix + offs, mask=m, other=0.0).to(tl.float32)
                p = tl.load(inp_ptr + base + (y + i) * Wp + (x + j), mask=m, other=0.0).to(tl.float32)
                row += hj * p
            acc += vi * row
        tl.store(out_ptr + (b * C + c) * npix + offs, acc.to(out_ptr.dtype.element_ty), mask=m)


@triton.jit
def _bwd_vh_kernel(inp_ptr, v_ptr, h_ptr, g_ptr, gv_ptr, gh_ptr, H, W, Hp, Wp,
                   C: tl.constexpr, K: tl.constexpr, BLOCK: tl.constexpr):
    b = tl.program_id(0)
    pid = tl.program_id(1)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    npix = H * W
    m = offs < npix
    y = offs // W
    x = offs % W
    kb = b * K * npix
    # grad_v[i] = sum_c g_c * sum_j h_j p(c, i, j);  grad_h[j] = sum_c g_c * sum_i v_i p(c, i, j)
    for i in range(K):
        gvi = tl.zeros((BLOCK,), dtype=tl.float32)
        for c in tl.static_range(C):
            g = tl.load(g_ptr + (b * C + c) * npix + offs, mask=m, other=0.0).to(tl.float32)
            base = (b * C + c) * Hp * Wp
            row = tl.zeros((BLOCK,), dtype=tl.float32)
            for j in range(K):
                hj = tl.load(h_ptr + kb + j * npix + offs, mask=m, other=0.0).to(tl.float32)
                p = tl.load(inp_ptr + base + (y + i) * Wp + (x + j), mask=m, other=0.0).to(tl.float32)
                row += hj * p
            gvi += g * row
        tl.store(gv_ptr + kb + i * npix + offs, gvi, mask=m)
    for j in range(K):
        ghj = tl.zeros((BLOCK,), dtype=tl.float32)
        for c in tl.static_range(C):
            g = tl.load(g_ptr + (b * C + c) * npix + offs, mask=m, other=0.0).to(tl.float32)
            base = (b * C + c) * Hp * Wp
            col = tl.zeros((BLOCK,), dtype=tl.float32)
            for i in range(K):
                vi = tl.load(v_ptr + kb + i * npix + offs, mask=m, other=0.0).to(tl.float32)
                p = tl.load(inp_ptr + base + (y + i) * Wp + (x + j), mask=m, other=0.0).to(tl.float32)
                col += vi * p
            ghj += g * col
        tl.store(gh_ptr + kb + j * npix + offs, ghj, mask=m)


@triton.jit
def _bwd_inp_kernel(v_ptr, h_ptr, g_ptr, gi_ptr, H, W, Hp, Wp, C: tl.constexpr, K: tl.constexpr, BLOCK: tl.constexpr):
    # grad_inp[c, Y, X] = sum_{i,j} g[c, Y-i, X-j] v_i[Y-i, X-j] h_j[Y-i, X-j]  (gather over valid output pixels)
    b = tl.program_id(0)
    pid = tl.program_id(1)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    m = offs < Hp * Wp
    Y = offs // Wp
    X = offs % Wp
    npix = H * W
    kb = b * K * npix
    for c in tl.static_range(C):
        acc = tl.zeros((BLOCK,), dtype=tl.float32)
        for i in range(K):
            yy = Y - i
            for j in range(K):
                xx = X - j
                ok = m & (yy >= 0) & (yy < H) & (xx >= 0) & (xx < W)
                q = yy * W + xx
                g = tl.load(g_ptr + (b * C + c) * npix + q, mask=ok, other=0.0).to(tl.float32)
                vi = tl.load(v_ptr + kb + i * npix + q, mask=ok, other=0.0).to(tl.float32)
                hj = tl.load(h_ptr + kb + j * npix + q, mask=ok, other=0.0).to(tl.float32)
                acc += g * vi * hj
        tl.store(gi_ptr + (b * C + c) * Hp * Wp + offs, acc, mask=m)


def _shapes(inp, v):
    b, c, hp, wp = inp.shape
    k, h, w = v.shape[1:]
    return b, c, hp, wp, k, h, w


def sepconv_triton_forward(inp: torch.Tensor, v: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    inp, v, h = inp.contiguous(), v.contiguous(), h.contiguous()
    b, c, hp, wp, k, hh, ww = _shapes(inp, v)
    out = torch.empty((b, c, hh, ww), device=inp.device, dtype=inp.dtype)
    grid = (b, triton.cdiv(hh * ww, BLOCK))
    _fwd_kernel[grid](inp, v, h, out, hh, ww, hp, wp, C=c, K=k, BLOCK=BLOCK)
    return out


def sepconv_triton_backward(grad, inp, v, h):
    grad, inp, v, h = grad.contiguous(), inp.contiguous(), v.contiguous(), h.contiguous()
    b, c, hp, wp, k, hh, ww = _shapes(inp, v)
    gv = torch.empty(v.shape, device=v.device, dtype=torch.float32)
    gh = torch.empty(h.shape, device=h.device, dtype=torch.float32)
    gi = torch.empty(inp.shape, device=inp.device, dtype=torch.float32)
    _bwd_vh_kernel[(b, triton.cdiv(hh * ww, BLOCK))](inp, v, h, grad, gv, gh, hh, ww, hp, wp, C=c, K=k, BLOCK=BLOCK)
    _bwd_inp_kernel[(b, triton.cdiv(hp * wp, BLOCK))](v, h, grad, gi, hh, ww, hp, wp, C=c, K=k, BLOCK=BLOCK)
    return gi.to(inp.dtype), gv.to(v.dtype), gh.to(h.dtype)


class SepConvTriton(torch.autograd.Function):
    @staticmethod
    def forward(ctx, inp, v, h):
        ctx.save_for_backward(inp, v, h)
        return sepconv_triton_forward(inp, v, h)

    @staticmethod
    def backward(ctx, grad):
        inp, v, h = ctx.saved_tensors
        gi, gv, gh = sepconv_triton_backward(grad, inp, v, h)
        n = ctx.needs_input_grad
        return (gi if n[0] else None, gv if n[1] else None, gh if n[2] else None)


def sepconv_triton(inp: torch.Tensor, v: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    return SepConvTriton.apply(inp, v, h)
