"""Separable-patch acceleration (SPAA): patch split / stitch and the three interchangeable executions.

Patch layouts (the released code's order, patches of one level are non-overlapping):
  J=1: [whole]
  J=2: [top, bottom]                                   (split along H)
  J=4: [TL, TR, BL, BR]                                (each half split along W)
  J=8: [TL_top, TL_bottom, TR_top, TR_bottom, BL_top, ...] (each quadrant split along H), i.e. left column rows
       0-1, right column rows 0-1, left column rows 2-3, right column rows 2-3 of the 4x2 grid.
``merge`` joins consecutive pairs (the inverse of the last split), so J -> J/2 keeps this order.

Executions (identical results):
  serial  : one module call per patch;
  batch   : patches packed in the batch dimension (released code);
  grouped : patches concatenated on channels, grouped convolutions with repeated weights (paper, Fig. 3).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

MODES = ("serial", "batch", "grouped")

# Fastest execution per device type: CPU measured by benchmarks/model_speed.py (docs/bench_model.md: 720p, the
# three within 10% of each other); CUDA not measured yet (no GPU lent), "batch" as the released code.
AUTO_TABLE: dict[str, str] = {"cpu": "serial", "cuda": "batch"}

# split axis used to go from J/2 to J patches
_AXIS = {2: -2, 4: -1, 8: -2}


def resolve_mode(mode: str, device: torch.device | str) -> str:
    if mode == "auto":
        return AUTO_TABLE.get(torch.device(device).type, "batch")
    if mode not in MODES:
        raise ValueError(f"unknown SPAA execution {mode!r} (choose from auto, {', '.join(MODES)})")
    return mode


def split(x: torch.Tensor, j: int) -> list[torch.Tensor]:
    """Split an image/feature tensor into ``j`` in {1, 2, 4, 8} patches (views, no copy)."""
    if j == 1:
        return [x]
    out = []
    for p in split(x, j // 2):
        out.extend(p.chunk(2, _AXIS[j]))
    return out


def merge(patches: Sequence[torch.Tensor], j_to: int) -> list[torch.Tensor]:
    """Join consecutive pairs of a ``2*j_to`` patch list into ``j_to`` patches."""
    axis = _AXIS[2 * j_to]
    return [torch.cat([patches[2 * i], patches[2 * i + 1]], axis) for i in range(j_to)]


def merge_all(patches: Sequence[torch.Tensor]) -> torch.Tensor:
    ps = list(patches)
    while len(ps) > 1:
        ps = merge(ps, len(ps) // 2)
    return ps[0]


def run(fn: Callable[..., torch.Tensor | tuple], inputs: Sequence[Sequence[torch.Tensor | None]], mode: str):
    """Apply ``fn(*args, groups=g)`` to every patch.

    ``inputs`` is a list of argument lists, one entry per argument, each holding one tensor per patch (or None).
    Returns per-output lists of per-patch tensors (a list of tensors when ``fn`` returns a single tensor).
    """
    n = len(inputs[0])
    if n == 1:
        res = fn(*[a[0] for a in inputs])
        return [[r] for r in res] if isinstance(res, tuple) else [res]
    if mode == "serial":
        outs = [fn(*[a[i] for a in inputs]) for i in range(n)]
        if isinstance(outs[0], tuple):
            return [[o[k] for o in outs] for k in range(len(outs[0]))]
        return outs
    dim = 0 if mode == "batch" else 1
    groups = 1 if mode == "batch" else n
    packed = [None if a[0] is None else torch.cat(list(a), dim) for a in inputs]
    res = fn(*packed, groups=groups)
    if isinstance(res, tuple):
        return [list(r.chunk(n, dim)) for r in res]
    return list(res.chunk(n, dim))
