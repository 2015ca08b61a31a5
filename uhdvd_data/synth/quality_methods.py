"""The interpolation method of the self-check (synth.quality_run): rebuilt from a clip's clip.json for `synthesize`,
the very method `build` interpolates with for `build`."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..common.errors import UserError

_METHODS: dict[str, object] = {}
_DTYPES = {"float32": "fp32", "bfloat16": "bf16", "float16": "fp16"}


def _weights_for(sha: str | None, given: str | None) -> str:
    from ..common.hashing import sha256_file
    from ..interp.weights_io import PACKAGE_WEIGHTS

    env = os.environ.get("UHDVD_INTERP_WEIGHTS")
    for cand in (given, None if not env or env.lower() == "none" else env, PACKAGE_WEIGHTS):
        if cand and Path(cand).is_file() and (not sha or sha256_file(cand) == sha):
            return str(cand)
    raise UserError(f"the interpolation self-check needs the network weights the clip was interpolated with (sha256 "
                    f"{(sha or '?')[:12]}...): pass --weights FILE, or --no-quality")


def method_from_meta(meta: dict, weights: str | None = None) -> Any:
    """The interpolation method a clip was made with, rebuilt from its clip.json (method_config): same method,
    motion, trajectory, flow settings and network weights; its device/dtype when this machine has that device.
    None when the frames were not made by one of the interpolation methods (e.g. true 480 fps footage)."""
    import torch

    from ..common.device import pick_device, pick_dtype
    from ..interp.methods import make_method

    cfg = dict(meta.get("method_config") or {})
    name = cfg.get("method") or meta.get("method") or ""
    key = json.dumps([cfg, name, weights, meta.get("weights_sha256"), meta.get("device"), meta.get("dtype")],
                     sort_keys=True, default=str)
    if key in _METHODS:
        return _METHODS[key]
    if name not in ("blend", "dis", "network"):
        return None
    kind = str(meta.get("device") or "").split(":")[0]
    dev = pick_device("cuda" if kind == "cuda" and torch.cuda.is_available() else "cpu" if kind else None)
    dtype = pick_dtype(_DTYPES.get(str(meta.get("dtype"))) if dev.type == kind else None, dev)
    kw = dict(motion=cfg.get("motion", "fused"), trajectory=cfg.get("trajectory", "quadratic"),
              flow_max_side=int(cfg.get("flow_max_side", 1024)), motion_workers=0,
              ensemble=cfg.get("ensemble", "none"))
    if name == "network":
        kw.update(weights=_weights_for(meta.get("weights_sha256"), weights), tile=int(cfg.get("tile", 0)),
                  tile_overlap=int(cfg.get("tile_overlap", 64)))
    m = make_method(name, device=dev, dtype=dtype, warn_fn=lambda msg: None, **kw)
    inner = getattr(m, "inner", m)  # the method inside a MirrorEnsemble
    for attr, k in (("flow_preset", "flow_preset"), ("occlusion", "occlusion_aware"), ("border", "border")):
        if k in cfg and hasattr(inner, attr):
            setattr(inner, attr, cfg[k])
    _METHODS[key] = m
    return m


def lazy_method(interp_kwargs: dict) -> Callable[[], Any]:
    """() -> the method `build` interpolates with (make_method on the build options), made on the first call and
    shared by all its clips; None for a method name make_method does not know (a replayed stream in benchmarks)."""
    made: list = []

    def get() -> Any:
        if not made:
            import inspect

            from ..interp.methods import make_method
            from ..interp.names import METHODS

            names = inspect.signature(make_method).parameters
            ok = interp_kwargs.get("method", "auto") in METHODS
            made.append(make_method(**{k: v for k, v in interp_kwargs.items() if k in names}) if ok else None)
        return made[0]

    return get
