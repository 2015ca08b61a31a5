"""Motion of a source pair, computed once, and pre-warping of both frames toward any time t.

Two kinds (`--motion`):

* "fused" (default): at flow resolution (long side <= max_side), DIS flow both ways, improved by feature-matched motion
  layers and per-pixel candidate fusion (interp.fusion: tracks large independent motion and sharpens motion
  boundaries; pixels that a mover covers in the other frame, or that leave the view, are declared hidden), then
  motion and visibility at t by forward softmax splatting (interp.splat), upscaled to full size. Given the pairs on
  either side (`accelerate`), pixels that move with the camera layer in both pairs follow quadratic trajectories
  through the three captured frames (a shaking, panning or zooming camera accelerates: a linear path between two
  frames is off by t (1 - t) / 2 times the acceleration, e.g. 1.7 px at t = 1/2 for 13 px/frame^2);
* "plain": DIS flow both ways and the linear-motion approximation of the flows at t (the classical baseline).

Both warp bicubically in fp32 and give zero blend weight to a frame whose sample falls outside its image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import cv2
import numpy as np
import torch

from . import flow as fl
from . import fusion, splat

MOTIONS = ("fused", "plain")
TRAJECTORIES = ("quadratic", "linear")  # quadratic: fused motion through three captured frames where it can (accelerate)


@dataclass
class SplatMotion:
    """Fused motion at flow resolution (CPU, float32): flows and splat log-weights (z in [-60, 0], OCCLUDED_Z or -inf)."""

    f01: torch.Tensor
    f10: torch.Tensor
    z0: torch.Tensor
    z1: torch.Tensor
    layer01: torch.Tensor | None = None  # dominant (camera) motion layer, both ways; None when no layer was found
    layer10: torch.Tensor | None = None
    acc0: torch.Tensor | None = None  # per-pixel accelerations of frames 0 and 1 (quadratic trajectories); None: linear
    acc1: torch.Tensor | None = None


@dataclass
class PairMotion:
    """Everything computed once per source pair and reused for every intermediate t."""

    f01: torch.Tensor | None = None  # plain: full-resolution flows on the device
    f10: torch.Tensor | None = None
    vis0: torch.Tensor | None = None  # plain with occlusion=True: forward-backward visibility
    vis1: torch.Tensor | None = None
    fused: SplatMotion | None = None


def _small(img: np.ndarray, scale: float) -> tuple[np.ndarray, torch.Tensor]:
    """(uint8 grayscale, (1,3,h,w) float32 0..1) at the flow resolution."""
    rgb = fl.downscale(np.ascontiguousarray(fl.as_uint8(img)), scale)
    x = torch.from_numpy(rgb).permute(2, 0, 1)[None].float() / 255.0
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), x


def fused_motion(img0: np.ndarray, img1: np.ndarray, max_side: int = 1024, preset: str = "medium") -> SplatMotion:
    scale = fl.flow_scale(img0.shape, max_side)
    g0, x0 = _small(img0, scale)
    g1, x1 = _small(img1, scale)
    d01, d10 = fl.dis_pair(g0, g1, preset)
    n01, n10 = fusion.layer_flows(g0, g1)
    l01, l10 = [fl.flow_to_tensor(f) for f in n01], [fl.flow_to_tensor(f) for f in n10]
    f01 = fusion.fuse(x0, x1, fl.flow_to_tensor(d01), l01)
    f10 = fusion.fuse(x1, x0, fl.flow_to_tensor(d10), l10)
    z0, z1 = splat.weights_from_error(fusion.match_error(x0, x1, f01), fusion.match_error(x1, x0, f10))
    if not l01:
        return SplatMotion(f01, f10, z0, z1)
    m0, m1 = torch.isfinite(z0), torch.isfinite(z1)
    h0, h1 = fusion.hidden_by_mover(x0, x1, f01, f10, m0, m1, l01, l10)
    h0, h1 = h0 | fusion.leaves_frame(f01, f10, l01[0]), h1 | fusion.leaves_frame(f10, f01, l10[0])
    z0, z1 = z0.masked_fill(h0, -math.inf), z1.masked_fill(h1, -math.inf)
    c01, c10 = l01[0], l10[0]
    f01, z0 = splat.occluded_follow_layer(f01, z0, c01)
    f10, z1 = splat.occluded_follow_layer(f10, z1, c10)
    return SplatMotion(f01, f10, z0, z1, c01, c10)


def pair_motion(img0: np.ndarray, img1: np.ndarray, device: torch.device | str = "cpu", max_side: int = 1024,
                preset: str = "medium", occlusion: bool = False, motion: str = "fused") -> PairMotion:
    if motion == "fused":
        return PairMotion(fused=fused_motion(img0, img1, max_side, preset))
    if motion != "plain":
        raise ValueError(f"unknown motion {motion!r} (choose from {', '.join(MOTIONS)})")
    f01, f10 = fl.dis_flows(img0, img1, max_side=max_side, preset=preset)
    f01t, f10t = fl.flow_to_tensor(f01, device), fl.flow_to_tensor(f10, device)
    vis0 = vis1 = None
    if occlusion:
        vis0, vis1 = fl.visibility(f01t, f10t)
    return PairMotion(f01t, f10t, vis0, vis1)


def camera_acceleration(f_next: torch.Tensor, l_next: torch.Tensor | None, f_prev: torch.Tensor,
                        l_prev: torch.Tensor | None) -> torch.Tensor | None:
    """(1,2,H,W) acceleration of one captured frame's pixels from its flows to the next and the previous captured
    frame (f_next + f_prev, the second difference of its positions), taken from the camera layer's flows of both pairs
    (homographies: smooth and exact where DIS is off by tenths of a pixel). Only pixels that move with the camera layer
    in both pairs get it (each flow within fusion.OWN_PX of the layer's); the rest, independent movers and pixels the
    layer does not explain, keep linear trajectories (0). None when either pair found no layer."""
    if l_next is None or l_prev is None or l_next.shape != l_prev.shape or f_next.shape != l_next.shape:
        return None
    follows = ((f_next - l_next).norm(dim=1, keepdim=True) < fusion.OWN_PX) & \
        ((f_prev - l_prev).norm(dim=1, keepdim=True) < fusion.OWN_PX)
    return torch.where(follows, l_next + l_prev, torch.zeros_like(l_next))


def accelerate(cur: PairMotion, prev: PairMotion | None, nxt: PairMotion | None) -> PairMotion:
    """`cur` with quadratic trajectories: frame 0's acceleration from the previous pair (its frame 1 is cur's frame 0),
    frame 1's from the next pair (its frame 0 is cur's frame 1). Fused motion only; a missing neighbour (clip end,
    scene cut) or layer leaves that frame linear. Returns a new PairMotion; `cur` is not changed."""
    m = cur.fused
    if m is None:
        return cur
    p = prev.fused if prev is not None else None
    n = nxt.fused if nxt is not None else None
    acc0 = camera_acceleration(m.f01, m.layer01, p.f10, p.layer10) if p is not None else None
    acc1 = camera_acceleration(m.f10, m.layer10, n.f01, n.layer01) if n is not None else None
    return replace(cur, fused=replace(m, acc0=acc0, acc1=acc1))


def with_neighbours(motion_of, rgb0: np.ndarray, rgb1: np.ndarray, before: np.ndarray | None,
                    after: np.ndarray | None, trajectory: str) -> PairMotion:
    """The motion of (rgb0, rgb1) as interpolation uses it: motion_of(a, b) gives a pair's motion (computed or cached);
    with quadratic trajectories and fused motion, the pairs with the neighbouring captured frames (None at clip ends
    and cuts) add the accelerations (`accelerate`)."""
    cur = motion_of(rgb0, rgb1)
    if trajectory != "quadratic" or cur.fused is None or (before is None and after is None):
        return cur
    return accelerate(cur, motion_of(before, rgb0) if before is not None else None,
                      motion_of(rgb1, after) if after is not None else None)


def flows_to(motion: PairMotion, t: float, h: int, w: int, device) -> tuple[torch.Tensor, ...]:
    """(F_t->0, F_t->1, vis0, vis1) at full resolution on `device`; vis: visibility in each frame (fused: from the
    splats; plain: the forward-backward masks when occlusion=True, else None)."""
    if motion.fused is not None:
        m = motion.fused
        ft0, ft1, v0, v1 = splat.motion_at_t(m.f01, m.f10, m.z0, m.z1, t, m.acc0, m.acc1)
        ft0, ft1 = (fl.upscale_flow(f.float(), h, w).to(device) for f in (ft0, ft1))
        if v0.shape[-2:] != (h, w):
            v0, v1 = (torch.nn.functional.interpolate(v, size=(h, w), mode="bilinear", align_corners=False)
                      for v in (v0, v1))
        return ft0, ft1, v0.float().to(device), v1.float().to(device)
    ft0, ft1 = fl.flows_at_t(motion.f01, motion.f10, t)
    if motion.vis0 is not None:
        return ft0, ft1, fl.backward_warp(motion.vis0, ft0), fl.backward_warp(motion.vis1, ft1)
    return ft0, ft1, None, None


def blend(w0: torch.Tensor, w1: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """The flow baseline's frame at t: the two pre-warped frames mixed by the weight of frame 0."""
    return weight * w0 + (1 - weight) * w1


def layer_prewarp(x0: torch.Tensor, x1: torch.Tensor, motion: PairMotion, t: float) -> torch.Tensor | None:
    """Both frames warped to time t by the dominant (camera) motion layer alone, with their inside-the-image masks:
    (B,8,H,W) = [warped frame 0, warped frame 1, inside 0, inside 1]; None when the motion has no layer (plain motion,
    or no layer found). A candidate for the network where the fused motion at t is wrong (around fast movers)."""
    m = motion.fused
    if m is None or m.layer01 is None:
        return None
    b, _, h, w = x0.shape
    c0, c1 = fl.flows_at_t(m.layer01, m.layer10, t)  # smooth fields: the linear approximation is exact enough
    c0, c1 = (fl.upscale_flow(f, h, w).to(x0.device) for f in (c0, c1))
    out = [fl.backward_warp(x0, c0, mode="bicubic"), fl.backward_warp(x1, c1, mode="bicubic"), fl.inside(c0), fl.inside(c1)]
    return torch.cat([o.expand(b, -1, -1, -1) for o in out], 1)


def prewarp(x0: torch.Tensor, x1: torch.Tensor, motion: PairMotion, t: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Warp both frames (B,3,H,W float) to time t; returns (w0, w1, weight of frame 0 (B,1,H,W))."""
    b, _, h, w = x0.shape
    ft0, ft1, v0, v1 = flows_to(motion, t, h, w, x0.device)
    w0 = fl.backward_warp(x0, ft0, mode="bicubic")
    w1 = fl.backward_warp(x1, ft1, mode="bicubic")
    m0, m1 = fl.inside(ft0), fl.inside(ft1)
    if v0 is not None:
        m0, m1 = m0 * v0, m1 * v1
    a = (1 - t) * m0
    c = t * m1
    s = a + c
    weight = torch.where(s > 1e-3, a / s.clamp_min(1e-3), torch.full_like(s, 1 - t))
    return w0, w1, weight.expand(b, -1, -1, -1)
