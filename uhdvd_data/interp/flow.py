"""Flow primitives: OpenCV DIS optical flow at low resolution, intermediate flows, fp32 warping, masks.

Flows are computed once per source pair on grayscale frames downscaled so the long side is <= `max_side`, then
upscaled and rescaled to full resolution. The "plain" motion (interp.motion) uses the linear-motion approximation

    F_t->0 = -(1 - t) t F_0->1 + t^2 F_1->0          F_t->1 = (1 - t)^2 F_0->1 - t (1 - t) F_1->0

and both frames are backward-warped with grid_sample (bicubic for images, bilinear for flows/masks). A frame whose
sample position falls outside its image (content entering across the border under camera motion) gets zero blend
weight there, so the other frame supplies it instead of a replicated border pixel. Sampling coordinates are always
built and used in fp32 (reduced-precision coordinates break beyond ~2000 px), whatever autocast is active.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F

PRESETS = {"fast": cv2.DISOPTICAL_FLOW_PRESET_FAST, "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
           "ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST}


def as_uint8(img: np.ndarray) -> np.ndarray:
    """HxWx3 uint8/uint16/float in 0..1 -> uint8 (flows work on 8-bit frames)."""
    if img.dtype == np.uint16:
        return (img >> 8).astype(np.uint8)
    if img.dtype != np.uint8:
        return np.clip(img * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return img


def downscale(img: np.ndarray, scale: float) -> np.ndarray:
    """Area-downscale an image by `scale` (<= 1) to the flow resolution (at least 8 px a side)."""
    if scale == 1.0:
        return img
    h, w = img.shape[:2]
    return cv2.resize(img, (max(8, round(w * scale)), max(8, round(h * scale))), interpolation=cv2.INTER_AREA)


def _gray_small(img: np.ndarray, scale: float) -> np.ndarray:
    """HxWx3 uint8/uint16/float -> downscaled uint8 grayscale."""
    return downscale(cv2.cvtColor(np.ascontiguousarray(as_uint8(img)), cv2.COLOR_RGB2GRAY), scale)


def flow_scale(shape: tuple[int, ...], max_side: int) -> float:
    """Downscale factor of the flow resolution (long side <= max_side)."""
    return min(1.0, max_side / max(shape[0], shape[1]))


def dis_pair(g0: np.ndarray, g1: np.ndarray, preset: str = "medium") -> tuple[np.ndarray, np.ndarray]:
    """Bidirectional DIS flow (F_0->1, F_1->0) of two uint8 grayscale frames, HxWx2 float32 (dx, dy) in pixels."""
    dis = cv2.DISOpticalFlow_create(PRESETS[preset])
    return dis.calc(g0, g1, None).astype(np.float32), dis.calc(g1, g0, None).astype(np.float32)


def dis_flows(img0: np.ndarray, img1: np.ndarray, max_side: int = 1024, preset: str = "medium") -> tuple[np.ndarray, np.ndarray]:
    """Bidirectional DIS flow (F_0->1, F_1->0) at full resolution, HxWx2 float32 (dx, dy) in pixels."""
    h, w = img0.shape[:2]
    scale = flow_scale((h, w), max_side)
    g0, g1 = _gray_small(img0, scale), _gray_small(img1, scale)
    f01, f10 = dis_pair(g0, g1, preset)
    if g0.shape != (h, w):
        sy, sx = h / g0.shape[0], w / g0.shape[1]
        out = []
        for f in (f01, f10):
            f = cv2.resize(f, (w, h), interpolation=cv2.INTER_LINEAR)
            f[..., 0] *= sx
            f[..., 1] *= sy
            out.append(f)
        f01, f10 = out
    return f01, f10


def upscale_flow(f: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """(B,2,h',w') flow at a lower resolution -> (B,2,h,w) in full-resolution pixels (bilinear, pixel centres)."""
    if f.shape[-2:] == (h, w):
        return f
    sy, sx = h / f.shape[-2], w / f.shape[-1]
    up = F.interpolate(f, size=(h, w), mode="bilinear", align_corners=False)
    return torch.cat([up[:, :1] * sx, up[:, 1:] * sy], 1)


def flow_to_tensor(f: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(f.transpose(2, 0, 1)))[None].to(device=device, dtype=torch.float32)


def flows_at_t(f01: torch.Tensor, f10: torch.Tensor, t: float) -> tuple[torch.Tensor, torch.Tensor]:
    ft0 = -(1 - t) * t * f01 + t * t * f10
    ft1 = (1 - t) * (1 - t) * f01 - t * (1 - t) * f10
    return ft0, ft1


_GRID_CACHE: dict = {}


def base_grid(h: int, w: int, device: torch.device) -> torch.Tensor:
    key = (h, w, str(device))
    g = _GRID_CACHE.get(key)
    if g is None:
        ys = torch.arange(h, dtype=torch.float32, device=device)
        xs = torch.arange(w, dtype=torch.float32, device=device)
        gy, gx = torch.meshgrid(ys, xs, indexing="ij")
        g = torch.stack((gx, gy), 0)[None]
        if len(_GRID_CACHE) > 8:
            _GRID_CACHE.clear()
        _GRID_CACHE[key] = g
    return g


def _coords(flow: torch.Tensor, origin: tuple[int, int]) -> torch.Tensor:
    """(B,2,h,w) absolute sample positions x + flow(x) of a flow field whose top-left pixel sits at `origin` (y, x)
    of the frame (a crop of a full-frame field, or the whole field at (0, 0))."""
    h, w = flow.shape[-2:]
    g = base_grid(h, w, flow.device)
    if origin != (0, 0):  # integer positions first (exact), then the flow: the same floats as the full field's
        g = g + torch.tensor([origin[1], origin[0]], dtype=torch.float32, device=flow.device).view(1, 2, 1, 1)
    return g + flow.float()


def backward_warp(img: torch.Tensor, flow: torch.Tensor, mode: str = "bilinear",
                  origin: tuple[int, int] = (0, 0)) -> torch.Tensor:
    """Sample img (B,C,H,W) at x + flow(x). fp32 throughout, border padding, align_corners=True. `flow` may cover
    a crop of the frame (its top-left pixel at `origin`, (y, x)): the result is that crop of the full warp, to the bit."""
    b, _, h, w = img.shape
    with torch.autocast(device_type=img.device.type, enabled=False):
        coords = _coords(flow, origin)
        gx = coords[:, 0] * (2.0 / max(w - 1, 1)) - 1.0
        gy = coords[:, 1] * (2.0 / max(h - 1, 1)) - 1.0
        grid = torch.stack((gx, gy), -1)
        if grid.shape[0] != b:
            grid = grid.expand(b, -1, -1, -1)
        out = F.grid_sample(img.float(), grid, mode=mode, padding_mode="border", align_corners=True)
    return out


def inside(flow: torch.Tensor, size: tuple[int, int] | None = None, origin: tuple[int, int] = (0, 0)) -> torch.Tensor:
    """(B,1,h,w): 1 where x + flow(x) lies inside the frame of `size` (H, W; default the flow's own size) within half
    a pixel of it, else 0; a crop's flow gives its `origin` (y, x) in the frame."""
    h, w = size or flow.shape[-2:]
    with torch.autocast(device_type=flow.device.type, enabled=False):
        c = _coords(flow, origin)
        ok = (c[:, 0] >= -0.5) & (c[:, 0] <= w - 0.5) & (c[:, 1] >= -0.5) & (c[:, 1] <= h - 0.5)
    return ok[:, None].float()


def visibility(f01: torch.Tensor, f10: torch.Tensor, alpha: float = 0.01, beta: float = 0.5) -> tuple[torch.Tensor, torch.Tensor]:
    """Forward-backward consistency: 1 where a pixel of frame 0 (resp. 1) is visible in the other frame."""
    back = backward_warp(f10, f01)  # F_1->0 at x + F_0->1(x)
    err0 = (f01 + back).pow(2).sum(1, keepdim=True)
    mag0 = f01.pow(2).sum(1, keepdim=True) + back.pow(2).sum(1, keepdim=True)
    fwd = backward_warp(f01, f10)
    err1 = (f10 + fwd).pow(2).sum(1, keepdim=True)
    mag1 = f10.pow(2).sum(1, keepdim=True) + fwd.pow(2).sum(1, keepdim=True)
    v0 = (err0 <= alpha * mag0 + beta).float()
    v1 = (err1 <= alpha * mag1 + beta).float()
    return v0, v1
