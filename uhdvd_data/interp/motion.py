"""Motion of a source pair, computed once, and pre-warping of both frames toward any time t.

Two kinds (`--motion`):

* "fused" (default): at flow resolution (long side <= max_side), DIS flow both ways, improved by feature-matched motion
  layers and per-pixel candidate fusion (interp.fusion: tracks large independent motion and sharpens motion
  boundaries; pixels that a mover covers in the other frame, or that leave the view, are declared hidden), then
  motion and visibility at t by forward softmax splatting (interp.splat), upscaled to full size. Given the pairs on
  either side (`accelerate`), pixels that move with the camera layer in both pairs follow quadratic trajectories
  through the three captured frames (a shaking, panning or zooming camera accelerates: a linear path between two
  frames is off by t (1 - t) / 2 times the acceleration, e.g. 1.7 px at t = 1/2 for 13 px/frame^2);
  Real footage (benchmarks/interp_real.py, frame drop on real clips) added three rules, each measured there first:
  - soft splatting (splat.ALPHA = 20, no photometric cutoff): a sharp winner-takes-all splat shreds non-rigid movers
    (walking people) into fragments; a soft one lets colliding motions mix (+0.4 to +0.6 dB on real movers, -0.2 dB
    on the rendered scenes before the next rule);
  - hedging where no rigid layer explains the motion (`unexplained`): there (non-rigid movers, parallax the layers
    miss) the frame is the mean of the fused prediction and the plain-DIS one, the MSE-optimal answer between two
    plausible hypotheses (+0.1 to +0.4 dB on real clips); it leaves rigid content alone. On the rendered scenes
    (all rigid) the two rules together give 41.06 / 41.50 dB against 41.03 / 41.74 before, and a blur fidelity
    0.48 / 0.25 dB lower (docs/bench_synth.md): real footage decides;
  - full-resolution refinement (`refine_full`): when the flows are estimated below the frame's resolution (4K: at
    <= 1024 px) both are refined at half and then at full resolution by OpenCV's variational refinement seeded with
    the upscaled flows; the correction is carried to time t along the motion, for the hedge's plain hypothesis too
    (recovers about 3/4 of what the coarse flow loses on fine texture; estimating the motion at 2048 px or on the
    full 4K frame instead was slower and worse on real 4K frames);
* "plain": DIS flow both ways and the linear-motion approximation of the flows at t (the classical baseline).

Both warp bicubically in fp32 and give zero blend weight to a frame whose sample falls outside its image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace

import cv2
import numpy as np
import torch

from . import flow as fl
from . import fusion, splat
from .names import MOTIONS, TRAJECTORIES  # noqa: F401  (re-exported: motion.MOTIONS)


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
    dis01: torch.Tensor | None = None  # the plain DIS flows before fusion (the hedge's second hypothesis)
    dis10: torch.Tensor | None = None
    movers01: list = field(default_factory=list)  # the independent motion layers' flows (rigid movers), both ways
    movers10: list = field(default_factory=list)
    fine01: torch.Tensor | None = None  # full-resolution flow corrections (refine_full); None when flows are full size
    fine10: torch.Tensor | None = None

    def to(self, device: torch.device | str) -> SplatMotion:
        """All fields on `device` (a new object; tensors already there are shared)."""
        def mv(x):
            return [t.to(device) for t in x] if isinstance(x, list) else (None if x is None else x.to(device))

        return SplatMotion(**{f.name: mv(getattr(self, f.name)) for f in fields(self)})


@dataclass
class PairMotion:
    """Everything computed once per source pair and reused for every intermediate t."""

    f01: torch.Tensor | None = None  # plain: full-resolution flows on the device
    f10: torch.Tensor | None = None
    vis0: torch.Tensor | None = None  # plain with occlusion=True: forward-backward visibility
    vis1: torch.Tensor | None = None
    fused: SplatMotion | None = None

    def to(self, device: torch.device | str) -> PairMotion:
        """The motion on `device`, moved once per pair: everything after motion estimation (splatting at t,
        upsampling, warps, blending) then runs there, and no full-resolution field crosses per new frame."""
        mv = (lambda x: None if x is None else x.to(device))  # noqa: E731
        return PairMotion(mv(self.f01), mv(self.f10), mv(self.vis0), mv(self.vis1),
                          None if self.fused is None else self.fused.to(device))


def _small(img: np.ndarray, scale: float) -> tuple[np.ndarray, torch.Tensor]:
    """(uint8 grayscale, (1,3,h,w) float32 0..1) at the flow resolution."""
    rgb = fl.downscale(np.ascontiguousarray(fl.as_uint8(img)), scale)
    x = torch.from_numpy(rgb).permute(2, 0, 1)[None].float() / 255.0
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), x


def fused_motion(img0: np.ndarray, img1: np.ndarray, max_side: int = 1024, preset: str = "medium",
                 refine: bool = True) -> SplatMotion:
    scale = fl.flow_scale(img0.shape, max_side)
    g0, x0 = _small(img0, scale)
    g1, x1 = _small(img1, scale)
    d01, d10 = fl.dis_pair(g0, g1, preset)
    n01, n10 = fusion.layer_flows(g0, g1)
    l01, l10 = [fl.flow_to_tensor(f) for f in n01], [fl.flow_to_tensor(f) for f in n10]
    d01, d10 = fl.flow_to_tensor(d01), fl.flow_to_tensor(d10)
    f01 = fusion.fuse(x0, x1, d01, l01)
    f10 = fusion.fuse(x1, x0, d10, l10)
    z0, z1 = splat.weights_from_error(fusion.match_error(x0, x1, f01), fusion.match_error(x1, x0, f10))
    if l01:
        m0, m1 = torch.isfinite(z0), torch.isfinite(z1)
        h0, h1 = fusion.hidden_by_mover(x0, x1, f01, f10, m0, m1, l01, l10)
        h0, h1 = h0 | fusion.leaves_frame(f01, f10, l01[0]), h1 | fusion.leaves_frame(f10, f01, l10[0])
        z0, z1 = z0.masked_fill(h0, -math.inf), z1.masked_fill(h1, -math.inf)
        f01, z0 = splat.occluded_follow_layer(f01, z0, l01[0])
        f10, z1 = splat.occluded_follow_layer(f10, z1, l10[0])
    m = SplatMotion(f01, f10, z0, z1, l01[0] if l01 else None, l10[0] if l10 else None, dis01=d01, dis10=d10,
                    movers01=l01[1:], movers10=l10[1:])
    if refine and scale < 1.0:
        m.fine01, m.fine10 = refine_full(img0, img1, f01, f10)
    return m


REFINE_ITERATIONS = 5  # fixed-point iterations per level of the full-resolution refinement
REFINE_LEVELS = 2  # half resolution, then full (proxy for 4K, a 720 px clip with flows at 200 px: one level 35.36 dB,
#                    two 35.49, three 35.50; one level of 10 iterations 35.46 at 1.4x the time of two levels)


def refine_full(img0: np.ndarray, img1: np.ndarray, f01: torch.Tensor,
                f10: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Corrections (1,2,H,W), full resolution, to the upscaled flows f01 and f10 (flow resolution): OpenCV's
    variational refinement (the last stage of DIS: data + smoothness terms, fixed-point iterations) on the grayscale
    frames at half and then at full resolution, started from the upscaled flows. Recovers fine motion the coarse flow
    cannot carry (benchmark: a 720 px clip whose flow was estimated at 200 px, as 4K at 1024 px: +0.56 dB)."""
    g0, g1 = (cv2.cvtColor(np.ascontiguousarray(fl.as_uint8(x)), cv2.COLOR_RGB2GRAY) for x in (img0, img1))
    h, w = g0.shape
    out = []
    for a, b, f in ((g0, g1, f01), (g1, g0, f10)):
        init = np.ascontiguousarray(fl.upscale_flow(f, h, w)[0].permute(1, 2, 0).numpy())
        cur = init
        for level in range(REFINE_LEVELS - 1, -1, -1):
            lw, lh = max(8, round(w / 2**level)), max(8, round(h / 2**level))
            a2, b2 = (fl.downscale(x, lw / w) if level else x for x in (a, b))
            if a2.shape[:2] != (lh, lw):  # downscale rounds the same way; guard odd sizes
                a2, b2 = (cv2.resize(x, (lw, lh), interpolation=cv2.INTER_AREA) for x in (a, b))
            start = cur if cur.shape[:2] == (lh, lw) else \
                cv2.resize(cur, (lw, lh), interpolation=cv2.INTER_LINEAR) * np.float32([lw / cur.shape[1], lh / cur.shape[0]])
            vr = cv2.VariationalRefinement_create()
            vr.setFixedPointIterations(REFINE_ITERATIONS)
            cur = vr.calc(a2, b2, start.copy())  # calc writes into its flow argument
        out.append(fl.flow_to_tensor(cur - init))
    return out[0], out[1]


def pair_motion(img0: np.ndarray, img1: np.ndarray, device: torch.device | str = "cpu", max_side: int = 1024,
                preset: str = "medium", occlusion: bool = False, motion: str = "fused", refine: bool = True) -> PairMotion:
    if motion == "fused":
        return PairMotion(fused=fused_motion(img0, img1, max_side, preset, refine))
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


@dataclass
class AtTime:
    """The motion of a pair at time t, full resolution: flows to each frame, visibility in each (None: all), and
    for fused motion how far no rigid layer explains it (`unexplained`, 0..1, None for plain motion)."""

    ft0: torch.Tensor
    ft1: torch.Tensor
    vis0: torch.Tensor | None = None
    vis1: torch.Tensor | None = None
    unexplained: torch.Tensor | None = None


EXPLAINED_PX = (0.5, 1.5)  # motion at t within 0.5 px of a rigid layer's: explained; beyond 1.5 px: not (ramp)


def unexplained(m: SplatMotion, ft0: torch.Tensor, ft1: torch.Tensor, t: float) -> torch.Tensor:
    """(1,1,h,w) in 0..1 at flow resolution: 0 where the fused motion at t (both ways) is within EXPLAINED_PX[0] of
    some rigid layer's motion at t (camera or independent mover), 1 past EXPLAINED_PX[1]; all 1 without layers."""
    layers = list(zip([m.layer01, *m.movers01], [m.layer10, *m.movers10])) if m.layer01 is not None else []
    if not layers:
        return torch.ones_like(ft0[:, :1])
    dist = None
    for a, b in layers:
        c0, c1 = fl.flows_at_t(a, b, t)  # homography fields: smooth, the linear approximation is close enough
        d = torch.maximum((ft0 - c0).norm(dim=1, keepdim=True), (ft1 - c1).norm(dim=1, keepdim=True))
        dist = d if dist is None else torch.minimum(dist, d)
    lo, hi = EXPLAINED_PX
    return ((dist - lo) / (hi - lo)).clamp(0, 1)


def _up(x: torch.Tensor, h: int, w: int) -> torch.Tensor:
    if x.shape[-2:] == (h, w):
        return x
    return torch.nn.functional.interpolate(x, size=(h, w), mode="bilinear", align_corners=False)


def refined(m: SplatMotion, ft0: torch.Tensor, ft1: torch.Tensor, t: float,
            origin: tuple[int, int] = (0, 0)) -> tuple[torch.Tensor, torch.Tensor]:
    """Full-resolution flows at t (F_t->0, F_t->1) corrected by the pair's full-resolution refinement (`refine_full`)
    when it exists: a frame-0 point reached from x at t moves (refined) by f01 + fine01 over the pair, so t of the
    correction is carried (1 - t for frame 1). Unchanged when the flows were estimated at full size. The flows may
    cover a crop of the frame whose top-left pixel is `origin` (y, x)."""
    if m.fine01 is None or origin[0] + ft0.shape[-2] > m.fine01.shape[-2] or origin[1] + ft0.shape[-1] > m.fine01.shape[-1]:
        return ft0, ft1
    if m.fine01.device != ft0.device:  # callers that did not move the motion (PairMotion.to): once per pair
        m.fine01, m.fine10 = m.fine01.to(ft0.device), m.fine10.to(ft0.device)
    return (ft0 - t * fl.backward_warp(m.fine01, ft0, origin=origin),
            ft1 - (1 - t) * fl.backward_warp(m.fine10, ft1, origin=origin))


def at_time(motion: PairMotion, t: float, h: int, w: int, device) -> AtTime:
    """The pair's motion at time t on `device` (fused: from the splats, refined at full resolution when `fine`
    corrections exist; plain: the linear approximation, visibility from the forward-backward masks when
    occlusion=True)."""
    if motion.fused is None:
        ft0, ft1 = fl.flows_at_t(motion.f01, motion.f10, t)
        if motion.vis0 is not None:
            return AtTime(ft0, ft1, fl.backward_warp(motion.vis0, ft0), fl.backward_warp(motion.vis1, ft1))
        return AtTime(ft0, ft1)
    m = motion.fused
    s0, s1, v0, v1 = splat.motion_at_t(m.f01, m.f10, m.z0, m.z1, t, m.acc0, m.acc1)
    u = unexplained(m, s0, s1, t)
    ft0, ft1 = (fl.upscale_flow(f.float(), h, w).to(device) for f in (s0, s1))
    ft0, ft1 = refined(m, ft0, ft1, t)
    return AtTime(ft0, ft1, _up(v0, h, w).float().to(device), _up(v1, h, w).float().to(device),
                  _up(u, h, w).float().to(device))


def flows_to(motion: PairMotion, t: float, h: int, w: int, device) -> tuple[torch.Tensor, ...]:
    """(F_t->0, F_t->1, vis0, vis1) at full resolution on `device` (see at_time)."""
    a = at_time(motion, t, h, w, device)
    return a.ft0, a.ft1, a.vis0, a.vis1


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


def warp_pair(x0: torch.Tensor, x1: torch.Tensor, a: AtTime, t: float,
              origin: tuple[int, int] = (0, 0)) -> tuple[torch.Tensor, ...]:
    """Both frames backward-warped to t (bicubic, fp32) and the blend weight of frame 0: (1 - t, t) masked by each
    frame's visibility and by whether its sample lies inside the image (neither: (1 - t, t)). The flows in `a` may
    cover a crop of the frame (top-left pixel at `origin`, (y, x)): the results are then that crop."""
    b = x0.shape[0]
    size = tuple(x0.shape[-2:])
    w0 = fl.backward_warp(x0, a.ft0, mode="bicubic", origin=origin)
    w1 = fl.backward_warp(x1, a.ft1, mode="bicubic", origin=origin)
    m0, m1 = fl.inside(a.ft0, size, origin), fl.inside(a.ft1, size, origin)
    if a.vis0 is not None:
        m0, m1 = m0 * a.vis0, m1 * a.vis1
    p = (1 - t) * m0
    q = t * m1
    s = p + q
    weight = torch.where(s > 1e-3, p / s.clamp_min(1e-3), torch.full_like(s, 1 - t))
    return w0, w1, weight.expand(b, -1, -1, -1)


def prewarp(x0: torch.Tensor, x1: torch.Tensor, motion: PairMotion, t: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Warp both frames (B,3,H,W float) to time t; returns (w0, w1, weight of frame 0 (B,1,H,W))."""
    return warp_pair(x0, x1, at_time(motion, t, x0.shape[-2], x0.shape[-1], x0.device), t)


HEDGE = 0.5  # weight of the plain-DIS prediction where no rigid layer explains the motion (an equal two-way mean)
HEDGE_TILE = 64  # the hedge is computed only in runs of 64x64 tiles holding unexplained pixels (at 4K often a few %;
#                 0: over the whole frame, the reference the benchmark times it against)


def active_boxes(mask: torch.Tensor, tile: int = HEDGE_TILE) -> list[tuple[int, int, int, int]]:
    """(y0, y1, x0, x1) boxes covering every True pixel of `mask` (...,H,W): per row of tile x tile tiles, each run of
    tiles that hold one (rows and runs clipped to the frame)."""
    h, w = mask.shape[-2:]
    if tile <= 0:
        return [(0, h, 0, w)] if bool(mask.any()) else []
    occ = torch.nn.functional.max_pool2d(mask.reshape(-1, 1, h, w).float(), tile, ceil_mode=True).amax(0)[0] > 0
    boxes = []
    for ty, row in enumerate(occ.tolist()):
        tx = 0
        while tx < len(row):
            if not row[tx]:
                tx += 1
                continue
            end = tx
            while end < len(row) and row[end]:
                end += 1
            boxes.append((ty * tile, min(h, (ty + 1) * tile), tx * tile, min(w, end * tile)))
            tx = end
    return boxes


def hedged(out: torch.Tensor, x0: torch.Tensor, x1: torch.Tensor, motion: PairMotion, t: float,
           unexplained_t: torch.Tensor | None) -> torch.Tensor:
    """`out` (a prediction at t from the fused motion) mixed with the plain-DIS prediction (the same DIS flows before
    fusion, linear motion, refined at full resolution like the fused flows when the flows were estimated below the
    frame size) where no rigid layer explains the fused motion (`unexplained_t`, full resolution, from at_time):
    between two plausible motions their mean minimises the expected squared error. Unchanged where every pixel is
    explained, and for plain motion. The plain prediction is computed only in the tiles that need it
    (`active_boxes`); the result equals the whole-frame computation."""
    m = motion.fused
    if m is None or m.dis01 is None or unexplained_t is None:
        return out
    boxes = active_boxes(unexplained_t > 0, HEDGE_TILE)
    if not boxes:
        return out
    h, w = x0.shape[-2:]
    lin0, lin1 = (fl.upscale_flow(f, h, w).to(x0.device) for f in fl.flows_at_t(m.dis01, m.dis10, t))  # linear: exact
    out = out.clone()
    for y0, y1, c0, c1 in boxes:
        crop = (slice(None), slice(None), slice(y0, y1), slice(c0, c1))
        plain = AtTime(*refined(m, lin0[crop], lin1[crop], t, origin=(y0, c0)))
        mix = (HEDGE * unexplained_t[crop]) * (blend(*warp_pair(x0, x1, plain, t, origin=(y0, c0))) - out[crop])
        out[crop] += mix
    return out


def frame_at(x0: torch.Tensor, x1: torch.Tensor, motion: PairMotion, t: float) -> torch.Tensor:
    """The flow interpolator's frame at t (`--method dis`): both frames pre-warped and blended, then hedged."""
    a = at_time(motion, t, x0.shape[-2], x0.shape[-1], x0.device)
    return hedged(blend(*warp_pair(x0, x1, a, t)), x0, x1, motion, t, a.unexplained)
