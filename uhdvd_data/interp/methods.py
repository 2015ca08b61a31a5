"""Interpolation methods behind one interface: `blend`, `dis` (flow warp + blend) and `network` (adaptive sepconv).

    m = make_method("dis", device="cpu")
    state = m.prepare(rgb0, rgb1)         # once per source pair (flows are computed here)
    rgb_t = m.frame(state, t)             # HxWx3 with the dtype of the source frames

`prepare(rgb0, rgb1, before=..., after=...)` also takes the captured frames before rgb0 and after rgb1 (same scene
segment, None at clip ends and cuts): with them the fused motion follows quadratic trajectories (motion.accelerate).
Pass the same array objects for the same frames: consecutive pairs then share their motion (a small cache).

Where the work runs: motion estimation (OpenCV DIS, feature matching, fusion at flow resolution) on the CPU, in a pool
of `motion_workers` threads that `prefetch(a, b)` feeds with upcoming pairs while the current pair is interpolated;
the pair's motion is then moved to the device once (PairMotion.to) and everything after it (splatting at t,
upsampling, warps, the sepconv network, blending, quantisation to code values in `frame_codes`) runs on the device.
`frame()` is the only per-frame copy back to the host (for encoding); `build` keeps frames on the device.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from ..common.device import autocast
from ..common.errors import UserError, warn
from . import motion as motionmod
from .config import InterpConfig
from .net import InterpNet, image_stats
from .tiling import tiled


def to_tensor(rgb: np.ndarray, device) -> torch.Tensor:
    scale = 65535.0 if rgb.dtype == np.uint16 else (255.0 if rgb.dtype == np.uint8 else 1.0)
    x = torch.from_numpy(np.ascontiguousarray(rgb)).to(device)
    return (x.permute(2, 0, 1)[None].float() / scale).contiguous()


def to_codes(x: torch.Tensor, dtype: np.dtype) -> torch.Tensor:
    """(1,3,H,W) in 0..1 -> HxWx3 code values on the same device, rounded half up (uint8 for 8-bit, int32 holding
    the 16-bit codes for uint16; float in 0..1 for float frames)."""
    a = x[0].permute(1, 2, 0).float().clamp(0, 1)
    if dtype == np.uint16:
        return (a * 65535.0 + 0.5).floor().to(torch.int32)
    if dtype == np.uint8:
        return (a * 255.0 + 0.5).floor().to(torch.uint8)
    return a


def codes_to_numpy(codes: torch.Tensor, dtype: np.dtype) -> np.ndarray:
    a = codes.cpu().numpy()
    return a.astype(np.uint16) if dtype == np.uint16 else a


MOTION_CACHE = 3  # pairs: the previous, the current and the next one (plus those prefetched ahead)


def default_motion_workers(device: torch.device) -> int:
    """Motion threads by default: with a GPU a quarter of the cores (4 on a 16-core box); on a CPU device none, since
    the interpolation itself then runs on the same cores (measured on 2 cores: 0.86x, docs/benchmarks.md)."""
    return 0 if device.type == "cpu" else max(1, (os.cpu_count() or 1) // 4)

BORDER = 40  # px at the image edges where the network output fades to dis (checkpoints trained on crops away from
# the edges lose 1-3 dB there on held-out scenes; 16 px recovered half of it, 40 px all)


def border_ramp(h: int, w: int, width: int, device) -> torch.Tensor:
    """(1,1,H,W): 0 on the outermost pixels, rising linearly to 1 at `width` px from every image edge."""
    ys = torch.arange(h, device=device, dtype=torch.float32)
    xs = torch.arange(w, device=device, dtype=torch.float32)
    dy = torch.minimum(ys, h - 1 - ys).clamp(max=width) / width
    dx = torch.minimum(xs, w - 1 - xs).clamp(max=width) / width
    return torch.minimum(dy[:, None], dx[None, :])[None, None]


@dataclass
class PairState:
    x0: torch.Tensor
    x1: torch.Tensor
    dtype: np.dtype
    motion: motionmod.PairMotion | None = None
    stats: tuple | None = None


class TensorFrames:
    """`frame_codes` and `frame` of any method from its `frame_tensor(state, t)` ((1,3,H,W) in 0..1) and the
    state's source dtype (methods here, and interp.ensemble's wrapper)."""

    @torch.no_grad()
    def frame_codes(self, st, t: float) -> torch.Tensor:
        """The frame at t as HxWx3 code values on the device (see to_codes)."""
        return to_codes(self.frame_tensor(st, t), st.dtype)

    @torch.no_grad()
    def frame(self, st, t: float) -> np.ndarray:
        return codes_to_numpy(self.frame_codes(st, t), st.dtype)


class Method(TensorFrames):
    name = "base"
    weights_sha256: str | None = None

    def __init__(self, device="cpu", dtype=torch.float32, flow_max_side: int = 1024, flow_preset: str = "medium",
                 occlusion: bool = False, motion: str = "fused", trajectory: str = "quadratic"):
        self.device = torch.device(device)
        self.dtype = dtype
        self.flow_max_side = flow_max_side
        self.flow_preset = flow_preset
        self.occlusion = occlusion
        if motion not in motionmod.MOTIONS:
            raise ValueError(f"unknown motion {motion!r} (choose from {', '.join(motionmod.MOTIONS)})")
        if trajectory not in motionmod.TRAJECTORIES:
            raise ValueError(f"unknown trajectory {trajectory!r} (choose from {', '.join(motionmod.TRAJECTORIES)})")
        self.motion = motion
        self.trajectory = trajectory

    def prepare(self, rgb0: np.ndarray, rgb1: np.ndarray, before: np.ndarray | None = None,
                after: np.ndarray | None = None) -> PairState:
        return PairState(to_tensor(rgb0, self.device), to_tensor(rgb1, self.device), rgb0.dtype)

    def prefetch(self, rgb0: np.ndarray, rgb1: np.ndarray) -> None:
        """Start estimating the motion of an upcoming pair (no-op for methods without motion)."""

    def close(self) -> None:
        """Stop background workers (a method stays usable: it restarts them when needed)."""

    def frame_tensor(self, st: PairState, t: float) -> torch.Tensor:
        raise NotImplementedError

    def describe(self) -> dict:
        return {"method": self.name, "weights_sha256": self.weights_sha256}


class BlendMethod(Method):
    name = "blend"

    def frame_tensor(self, st, t):
        return (1 - t) * st.x0 + t * st.x1


class DisMethod(Method):
    name = "dis"

    def __init__(self, motion_workers: int | None = None, **kw):
        super().__init__(**kw)
        self.motion_workers = default_motion_workers(self.device) if motion_workers is None else max(0, motion_workers)
        self._cache: list = []  # [(frame a, frame b, PairMotion or Future)]: recent pairs, matched by array identity
        self.cache_pairs = MOTION_CACHE  # pairs kept besides those prefetched (interp.ensemble doubles it)
        self._pool = None

    def _estimate(self, a: np.ndarray, b: np.ndarray) -> motionmod.PairMotion:
        m = motionmod.pair_motion(a, b, self.device, self.flow_max_side, self.flow_preset, self.occlusion, self.motion)
        return m.to(self.device)

    def _find(self, a: np.ndarray, b: np.ndarray):
        for ca, cb, m in self._cache:
            if ca is a and cb is b:
                return m
        return None

    def _remember(self, a: np.ndarray, b: np.ndarray, m) -> None:
        keep = self.cache_pairs + 2 * self.motion_workers  # holding the arrays keeps their identities unique
        self._cache = (self._cache + [(a, b, m)])[-keep:]

    def prefetch(self, a: np.ndarray, b: np.ndarray) -> None:
        """Estimate the motion of (a, b) in a worker thread (with motion_workers > 0) while the caller goes on."""
        if self.motion_workers <= 0 or self._find(a, b) is not None:
            return
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(self.motion_workers, thread_name_prefix="uhdvd-motion")
        self._remember(a, b, self._pool.submit(self._estimate, a, b))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._cache = []

    def pair_motion(self, a: np.ndarray, b: np.ndarray) -> motionmod.PairMotion:
        """The motion of (a, b), computed once (or prefetched): consecutive pairs and their neighbours share it."""
        m = self._find(a, b)
        if m is None:
            m = self._estimate(a, b)
            self._remember(a, b, m)
        elif not isinstance(m, motionmod.PairMotion):  # a prefetch future
            m = m.result()
            self._cache = [(ca, cb, m if (ca is a and cb is b) else cm) for ca, cb, cm in self._cache]
        return m

    def prepare(self, rgb0, rgb1, before=None, after=None):
        st = super().prepare(rgb0, rgb1)
        st.motion = motionmod.with_neighbours(self.pair_motion, rgb0, rgb1, before, after, self.trajectory)
        return st

    def frame_tensor(self, st, t):
        return motionmod.frame_at(st.x0, st.x1, st.motion, t)

    def describe(self):  # motion_workers is left out: it changes the speed, never the frames
        d = dict(super().describe(), flow="opencv-dis", motion=self.motion, flow_preset=self.flow_preset,
                 flow_max_side=self.flow_max_side, occlusion_aware=self.occlusion)
        if self.motion == "fused":
            d["trajectory"] = self.trajectory
        return d


class NetworkMethod(DisMethod):
    name = "network"

    def __init__(self, model: InterpNet, weights_sha256: str | None = None, tile: int = 0, tile_overlap: int = 64,
                 border: int = BORDER, **kw):
        super().__init__(**kw)
        self.border = border
        self.model = model.to(self.device).eval()
        self.weights_sha256 = weights_sha256
        self.tile = tile
        self.tile_overlap = tile_overlap

    def prepare(self, rgb0, rgb1, before=None, after=None):
        st = super().prepare(rgb0, rgb1, before, after)
        st.stats = None
        return st

    @torch.no_grad()
    def frame_tensor(self, st, t):
        at = motionmod.at_time(st.motion, t, st.x0.shape[-2], st.x0.shape[-1], st.x0.device)
        w0, w1, wt = motionmod.warp_pair(st.x0, st.x1, at, t)
        stats = image_stats(w0, w1, st.x0, st.x1)

        inputs = [w0, w1, st.x0, st.x1, wt]
        cand = motionmod.layer_prewarp(st.x0, st.x1, st.motion, t) if self.model.layer else None
        if cand is not None:
            inputs.append(cand)

        def run(a, b, c, d, e, f=None):
            with autocast(self.device, self.dtype):
                return self.model(a, b, c, d, t, e, stats=stats, cand=f)

        out = tiled(run, inputs, self.tile, self.tile_overlap)
        if self.border:  # near the image edges (never seen in training crops) fade to the flow baseline
            r = border_ramp(out.shape[-2], out.shape[-1], self.border, out.device)
            base = motionmod.blend(w0, w1, wt)
            out = base + r * (out - base)  # exactly dis where the network adds nothing or r = 0
        return motionmod.hedged(out, st.x0, st.x1, st.motion, t, at.unexplained)

    def describe(self):
        return dict(super().describe(), net=self.model.config(), tile=self.tile, tile_overlap=self.tile_overlap,
                    border=self.border)


def make_method(method: str = "auto", weights=None, device=None, dtype=None, tile: int = 0, tile_overlap: int = 64,
                max_tile: int = 4096, flow_max_side: int = 1024, warn_fn: Callable[[str], None] = warn,
                motion: str = "fused", trajectory: str = "quadratic", motion_workers: int | None = None,
                ensemble: str = "none") -> Method:
    """Build the interpolation method (one of METHODS). 'auto' = the network with the given or packaged weights
    when its model card clears it, else dis with a warning. ensemble 'mirror' wraps it in interp.ensemble's
    MirrorEnsemble (the pair as it is and mirrored left-right, averaged)."""
    from ..common.device import pick_device, pick_dtype
    from .ensemble import with_ensemble
    from .weights_io import PACKAGE_WEIGHTS, default_weights, load_interp_weights, packaged_weights_status

    InterpConfig(method=method, motion=motion, trajectory=trajectory, ensemble=ensemble).check()  # the CLI's check
    dev = device if isinstance(device, torch.device) else pick_device(device)
    dt = dtype if isinstance(dtype, torch.dtype) else pick_dtype(dtype, dev)
    if method in ("auto", "network"):
        wpath = weights or default_weights()
        if wpath is None and method == "network" and not os.environ.get("UHDVD_INTERP_WEIGHTS"):
            wpath = PACKAGE_WEIGHTS if PACKAGE_WEIGHTS.is_file() else None  # explicit request: use them
        if wpath is None:
            if method == "network":
                raise UserError("--method network needs trained weights: none are packaged; pass --weights W "
                                "(from `uhdvd-data train-interp`) or use --method dis")
            if not os.environ.get("UHDVD_INTERP_WEIGHTS") and packaged_weights_status() == "disabled":
                warn_fn("--method auto uses dis: the packaged network weights did not clear their model card's bar "
                        "on held-out footage (see uhdvd_data/interp/weights/MODEL_CARD.md); --method network uses "
                        "them anyway")
            else:
                warn_fn("no trained interpolation weights found; using --method dis (flow warp + blend)")
            method = "dis"
        else:
            model, _, sha = load_interp_weights(wpath)
            if tile <= 0:
                tile = 1024 if dev.type == "cpu" else 2048
            tile = min(tile, max_tile) if max_tile else tile
            m = NetworkMethod(model, weights_sha256=sha, tile=tile, tile_overlap=tile_overlap, device=dev, dtype=dt,
                              flow_max_side=flow_max_side, motion=motion, trajectory=trajectory,
                              motion_workers=motion_workers)
            m.weights_path = str(wpath)
            return with_ensemble(m, ensemble)
    if method == "dis":
        return with_ensemble(DisMethod(device=dev, dtype=dt, flow_max_side=flow_max_side, motion=motion,
                                       trajectory=trajectory, motion_workers=motion_workers), ensemble)
    return BlendMethod(device=dev, dtype=dt)
