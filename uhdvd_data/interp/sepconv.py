"""Dispatcher for the separable local convolution: Triton on CUDA tensors when available, else the torch reference.

UHDVD_SEPCONV=ref|triton|auto (default auto) overrides; `backend=` does the same per call.
"""

from __future__ import annotations

import functools
import os

import torch

from .sepconv_ref import sepconv_ref


@functools.lru_cache(maxsize=1)
def triton_available() -> bool:
    try:
        from . import sepconv_triton  # noqa: F401
    except Exception:  # noqa: BLE001 - triton missing or broken: reference path
        return False
    return True


def pick_backend(t: torch.Tensor, backend: str | None = None) -> str:
    backend = backend or os.environ.get("UHDVD_SEPCONV", "auto")
    if backend not in ("auto", "ref", "triton"):
        raise ValueError(f"unknown sepconv backend {backend!r}")
    if backend == "auto":
        return "triton" if t.is_cuda and triton_available() else "ref"
    if backend == "triton" and not (t.is_cuda or os.environ.get("TRITON_INTERPRET") == "1"):
        return "ref"
    return backend


def sepconv(inp: torch.Tensor, v: torch.Tensor, h: torch.Tensor, backend: str | None = None) -> torch.Tensor:
    """out[b,c,y,x] = sum_ij v[b,i,y,x] h[b,j,y,x] inp[b,c,y+i,x+j]; inp padded by K//2 (see sepconv_ref)."""
    if pick_backend(inp, backend) == "triton":
        from .sepconv_triton import sepconv_triton

        return sepconv_triton(inp, v, h)
    return sepconv_ref(inp, v, h)
