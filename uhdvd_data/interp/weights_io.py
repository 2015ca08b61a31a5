"""Interpolation-network checkpoints: safetensors weights (+ a JSON file beside them); no pickle.

The network config (`k`, `widths`) is stored both in the safetensors metadata and in the JSON sidecar, so a
.safetensors file alone is enough to rebuild the model.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..common.atomic import write_bytes, write_text
from ..common.errors import file_error
from ..common.hashing import sha256_file
from .net import InterpNet

PACKAGE_WEIGHTS = Path(__file__).parent / "weights" / "default.safetensors"


def save_interp_weights(model: InterpNet, path: os.PathLike | str, meta: dict | None = None, half: bool = False) -> None:
    from ..common.tensorfile import to_bytes

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sd = {k: (v.half() if half and v.is_floating_point() else v).detach().cpu().contiguous()
          for k, v in model.state_dict().items()}
    cfg = model.config()
    write_bytes(path, to_bytes(sd, metadata={"config": json.dumps(cfg)}), fsync=True)  # atomic, umask permissions
    write_text(path.with_suffix(".json"), json.dumps(dict(meta or {}, **cfg), indent=2, sort_keys=True) + "\n")


def load_interp_weights(path: os.PathLike | str, map_location="cpu") -> tuple[InterpNet, dict, str]:
    """Returns (model in fp32, meta, sha256 of the weights file)."""
    from safetensors import safe_open

    path = Path(path)
    if not path.is_file():
        raise file_error(path, "no such weights file")
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            md = f.metadata() or {}
            sd = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as e:  # noqa: BLE001
        raise file_error(path, f"not a safetensors checkpoint ({e})") from e
    meta: dict = {}
    side = path.with_suffix(".json")
    if side.is_file():
        meta = json.loads(side.read_text())
    cfg = json.loads(md["config"]) if "config" in md else meta
    if cfg.get("arch", "interpnet") != "interpnet" or "k" not in cfg:
        raise file_error(path, "not an interpolation-network checkpoint (no interpnet config)")
    model = InterpNet(k=int(cfg["k"]), widths=tuple(cfg["widths"]), t_gate=bool(cfg.get("t_gate", False)),
                       layer=bool(cfg.get("layer", False)))
    try:
        model.load_state_dict({k: v.float() for k, v in sd.items()})
    except RuntimeError as e:
        raise file_error(path, f"weights do not match the network ({str(e).splitlines()[0]})") from e
    return model.to(map_location).eval(), meta, sha256_file(path)


def packaged_weights_status() -> str:
    """'missing', 'disabled' (card says auto must not use them: they do not beat dis) or 'ok'."""
    if not PACKAGE_WEIGHTS.is_file():
        return "missing"
    try:
        meta = json.loads(PACKAGE_WEIGHTS.with_suffix(".json").read_text())
    except (OSError, json.JSONDecodeError):
        return "ok"
    return "disabled" if meta.get("auto_use") is False else "ok"


def default_weights() -> Path | None:
    """The packaged default checkpoint, if it exists and its card does not mark it as worse than dis.
    UHDVD_INTERP_WEIGHTS=path overrides it; UHDVD_INTERP_WEIGHTS=none disables it."""
    env = os.environ.get("UHDVD_INTERP_WEIGHTS")
    if env:
        return None if env.lower() == "none" else Path(env)
    if not PACKAGE_WEIGHTS.is_file():
        return None
    side = PACKAGE_WEIGHTS.with_suffix(".json")
    if side.is_file():
        try:
            meta = json.loads(side.read_text())
        except json.JSONDecodeError:
            return None
        if meta.get("auto_use") is False:
            return None
    return PACKAGE_WEIGHTS
