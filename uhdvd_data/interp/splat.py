"""Motion at time t by forward softmax splatting (Niklaus & Liu, CVPR 2020) of the pair's flows.

The linear-motion approximation F_t->0 ~ -(1-t) t F_0->1 + t^2 F_1->0 reads the flow of whatever sat at x at time 0,
so around an independently moving object it uses the wrong layer's motion over a band t * (relative motion) wide.
Instead every pixel p of frame 0 is carried to p + t F_0->1(p) and every pixel of frame 1 to p + (1-t) F_1->0(p)
(bilinear splats); each brings its motion (F_t->0, F_t->1) and a weight exp(-alpha * photometric error), so where
layers collide at time t the pixel that is consistent in both frames (the one in front) wins. Pixels whose error
exceeds `cutoff` (occluded in the other frame, or badly tracked) do not splat, or, when a dominant motion layer is
known, splat its motion at the lowest priority; target pixels no splat reaches fall back to the linear approximation. Tried and measured worse on the benchmark (4 held-out scenes, 5 t each):
masking each frame by visibility, from a forward-backward flow check (-0.2 dB; DIS's consistency errors are noisy)
or carried by the splats from the photometric cutoff (-0.2 dB).

Runs at flow resolution on the interpolation device: index_add_ is sequential on CPU, and on CUDA it runs under
torch's deterministic algorithms (`_deterministic`), so reruns give the same bytes on either.
"""

from __future__ import annotations

import contextlib
import math

import torch

from .flow import base_grid

ALPHA = 20.0  # 2026-12-02, real clips first (benchmarks/interp_real.py, tuning clips): 1000 -> 20 and no cutoff
# +0.39 carphone, +0.29 tree, +0.57 vtest (walking people), +0.04 city dB; rendered scenes -0.19 dB (recovered by the
# hedge in motion.py). Rendered scenes alone (2026-11-24): 10 -> 32.3 dB, 200 -> 33.2, 1000 -> 33.3.
CUTOFF = math.inf  # mean absolute RGB error (0..1) past which a pixel does not splat; real movers: a finite cutoff
# (0.06 before 2026-12-02) leaves holes in non-rigid movers that the linear approximation fills (shredded people)
OCCLUDED_Z = -75.0  # occluded pixels given the camera layer's motion: below every matched pixel (>= -60)


@contextlib.contextmanager
def _deterministic(device: torch.device):
    """torch's deterministic algorithms (sorted index_add_ on CUDA instead of atomics) around one call."""
    if device.type == "cpu" or torch.are_deterministic_algorithms_enabled():
        yield
        return
    warn = torch.is_deterministic_algorithms_warn_only_enabled()
    torch.use_deterministic_algorithms(True, warn_only=warn)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(False, warn_only=warn)


def forward_splat(values: torch.Tensor, flow: torch.Tensor, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Splat values (1,C,H,W) to x + flow(x) with bilinear weights times exp(z) (z <= 0, -inf = no splat).

    Returns (sum of weight * value (1,C,H,W), sum of plain bilinear weights of live splats (1,1,H,W) = coverage)."""
    _, c, h, w = values.shape
    g = base_grid(h, w, flow.device).to(flow.dtype) + flow
    x, y = g[0, 0].reshape(-1), g[0, 1].reshape(-1)
    x0, y0 = torch.floor(x), torch.floor(y)
    fx, fy = x - x0, y - y0
    ez = torch.exp(z.reshape(-1))
    live = ez > 0  # z = -inf: does not splat (nor count as coverage)
    idx, wts = [], []
    for dx, dy in ((0, 0), (1, 0), (0, 1), (1, 1)):
        xi, yi = x0 + dx, y0 + dy
        wb = (fx if dx else 1 - fx) * (fy if dy else 1 - fy)
        ok = live & (xi >= 0) & (xi <= w - 1) & (yi >= 0) & (yi <= h - 1) & (wb > 0)
        wb = torch.where(ok, wb, torch.zeros_like(wb))
        idx.append((yi.clamp(0, h - 1) * w + xi.clamp(0, w - 1)).long())
        wts.append(wb)
    idx_all, wb_all = torch.cat(idx), torch.cat(wts)
    vals = values.reshape(c, -1).repeat(1, 4) * (wb_all * ez.repeat(4))
    with _deterministic(values.device):
        num = torch.zeros(c, h * w, dtype=values.dtype, device=values.device).index_add_(1, idx_all, vals)
        cover = torch.zeros(h * w, dtype=values.dtype, device=values.device).index_add_(0, idx_all, wb_all)
    return num.reshape(1, c, h, w), cover.reshape(1, 1, h, w)


def weights_from_error(err0: torch.Tensor, err1: torch.Tensor, alpha: float = ALPHA,
                       cutoff: float = CUTOFF) -> tuple[torch.Tensor, torch.Tensor]:
    """Splat log-weights z = -alpha * error from per-pixel photometric errors (0..1); -inf (no splat) past cutoff."""
    return tuple(torch.where(e > cutoff, torch.full_like(e, -math.inf), -alpha * e) for e in (err0, err1))


def occluded_follow_layer(flow: torch.Tensor, z: torch.Tensor, layer: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Pixels past the cutoff (z = -inf: occluded in the other frame, so their own flow is a guess) take the dominant
    motion layer's flow (they are mostly background, moving with the camera) and splat with OCCLUDED_Z, so they
    only fill places no matched pixel reaches (benchmark: +0.5 dB, mostly around fast movers)."""
    occ = torch.isinf(z)
    return torch.where(occ, layer, flow), torch.where(occ, torch.full_like(z, OCCLUDED_Z), z)


def displacement(f: torch.Tensor, s: float, acc: torch.Tensor | None, t: float) -> torch.Tensor:
    """Where a pixel of one captured frame is at time t, minus its position: s * f on the linear trajectory (s = t
    from frame 0, 1 - t from frame 1, f its flow to the other frame); with the pixel's acceleration `acc` (second
    difference of its positions over three captured frames, f_a->b + f_a->prev) the quadratic trajectory through all
    three, s * f - t (1 - t) acc / 2, which still lands on the other frame at s = 1."""
    d = s * f
    return d if acc is None else d - (0.5 * t * (1 - t)) * acc


def motion_at_t(f01: torch.Tensor, f10: torch.Tensor, z0: torch.Tensor, z1: torch.Tensor, t: float,
                acc0: torch.Tensor | None = None,
                acc1: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(F_t->0, F_t->1, vis0, vis1) at time t, (1,2,H,W) / (1,1,H,W), at the flows' resolution.

    acc0 / acc1: per-pixel accelerations of frame 0 / frame 1 (`displacement`), None = linear trajectories.
    vis0: how much of what arrives at a pixel is visible in frame 0 (every frame-0 pixel is; a frame-1 pixel when it
    was matched in frame 0, z > OCCLUDED_Z), weighted like the motion; likewise vis1. Holes: 1."""
    one0, one1 = torch.ones_like(z0), torch.ones_like(z1)
    m0, m1 = (z0 > OCCLUDED_Z).to(z0.dtype), (z1 > OCCLUDED_Z).to(z1.dtype)
    d0, d1 = displacement(f01, t, acc0, t), displacement(f10, 1 - t, acc1, t)
    rest0 = (1 - t) * f01 if acc0 is None else f01 - d0  # the rest of the way to the other frame
    rest1 = t * f10 if acc1 is None else f10 - d1
    n0, c0 = forward_splat(torch.cat([-d0, rest0, one0, m0, one0], 1), d0, z0)
    n1, c1 = forward_splat(torch.cat([rest1, -d1, m1, one1, one1], 1), d1, z1)
    num = n0 + n1
    mass = num[:, 6:7]
    hole = c0 + c1 < 1e-3  # where covered, mass >= exp(OCCLUDED_Z) * 1e-3: no underflow in float32
    res = num[:, :6] / torch.where(hole, torch.ones_like(mass), mass)
    lin0 = -(1 - t) * t * f01 + t * t * f10
    lin1 = (1 - t) * (1 - t) * f01 - t * (1 - t) * f10
    ones = torch.ones_like(mass)
    return (torch.where(hole, lin0, res[:, 0:2]), torch.where(hole, lin1, res[:, 2:4]),
            torch.where(hole, ones, res[:, 4:5]), torch.where(hole, ones, res[:, 5:6]))
