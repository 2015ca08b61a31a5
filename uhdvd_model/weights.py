"""Model weights: our format (safetensors + JSON sidecar, never pickle) and import of the authors' 4KRD checkpoints.

* ``save_weights(model, "w.safetensors", meta)`` writes ``w.safetensors`` (tensors only) and ``w.json``
  (``{"format": "uhdvd-weights", "version": 1, "arch": ..., "kwargs": {...}, "meta": {...}}``).
* ``load_weights(path)`` -> ``(model, meta)`` for a ``.safetensors`` file (its ``.json`` beside), a training run
  folder holding ``model.safetensors``, or a folder with the released ``encoder_lv{1..4}.pkl`` / ``decoder_lv{1..4}.pkl`` (legacy torch pickles, read with
  ``torch.load(map_location="cpu", weights_only=True)``), which selects ``uhdvd_official``.
* ``convert(folder, out)`` converts a released checkpoint folder to our format once.
* ``latest_run_weights()`` -> the newest ``runs/*/weights.safetensors`` (what `uhdvd-eval` and `uhdvd-deblur` use
  when no ``--weights`` is given, so `uhdvd-train` then `uhdvd-eval` scores the model just trained).
Loading is strict both ways: a missing or unexpected key is a one-line :class:`UserError`.  The paper variant's
decoder depth (``decoder_blocks``, 3 since it follows the paper; files written before hold 2 and do not name it)
is read from the state dict's keys when the sidecar does not give it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from torch import nn

from uhdvd_data.common.errors import UserError, file_error

FORMAT = "uhdvd-weights"
VERSION = 1
OFFICIAL_FILES = [f"{kind}_lv{s}.pkl" for kind in ("encoder", "decoder") for s in range(1, 5)]


def latest_run_weights(prog: str, root: os.PathLike | str = "runs") -> Path | None:
    """The most recently written ``<root>/<run>/weights.safetensors`` (uhdvd-train's output), announced in one line
    as `prog`'s choice, or None."""
    found = [p for p in Path(root).glob("*/weights.safetensors") if p.is_file()] if Path(root).is_dir() else []
    if not found:
        return None
    latest = max(found, key=lambda p: (p.stat().st_mtime, str(p)))
    print(f"{prog}: --weights {latest} (the newest training run)", flush=True)
    return latest


def sidecar(path: os.PathLike | str) -> Path:
    return Path(path).with_suffix(".json")


def save_weights(model: nn.Module, path: os.PathLike | str, meta: dict | None = None) -> Path:
    """Write ``path`` (.safetensors) and its JSON sidecar atomically. Returns the .safetensors path."""
    from uhdvd_data.common.atomic import write_bytes, write_text
    from uhdvd_data.common.tensorfile import to_bytes

    path = Path(path)
    if path.suffix != ".safetensors":
        raise UserError(f"{path}: weights must be saved as .safetensors")
    arch = getattr(model, "arch_name", None)
    if arch is None:
        raise ValueError("model has no arch_name (build it with uhdvd_model.arch.build_model)")
    sd = {k: v.detach().to("cpu", torch.float32 if v.is_floating_point() else v.dtype).contiguous()
          for k, v in model.state_dict().items()}
    info = {"format": FORMAT, "version": VERSION, "arch": arch,
            "kwargs": dict(getattr(model, "arch_kwargs", {})), "meta": meta or {}}
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes(path, to_bytes(sd, metadata={"format": FORMAT, "arch": arch}))
    write_text(sidecar(path), json.dumps(info, indent=2, sort_keys=True, default=str) + "\n")
    return path


def load_state_strict(model: nn.Module, sd: dict, where: os.PathLike | str) -> None:
    """``load_state_dict`` that reports missing / unexpected keys and shape mismatches as one line."""
    own = model.state_dict()
    missing = [k for k in own if k not in sd]
    unexpected = [k for k in sd if k not in own]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing key(s) (e.g. {', '.join(missing[:3])})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected key(s) (e.g. {', '.join(unexpected[:3])})")
        raise file_error(where, "weights do not match the architecture: " + "; ".join(parts))
    for k, v in own.items():
        if tuple(sd[k].shape) != tuple(v.shape):
            raise file_error(where, f"weights do not match the architecture: {k} has shape "
                                    f"{tuple(sd[k].shape)}, expected {tuple(v.shape)}")
    model.load_state_dict(sd, strict=True)


def is_official_dir(path: os.PathLike | str) -> bool:
    p = Path(path)
    return p.is_dir() and any((p / f).exists() for f in OFFICIAL_FILES)


def read_official(folder: os.PathLike | str) -> dict[str, torch.Tensor]:
    """The 8 released state dicts merged under ``encoder_lv{s}.`` / ``decoder_lv{s}.`` prefixes."""
    folder = Path(folder)
    sd: dict[str, torch.Tensor] = {}
    for name in OFFICIAL_FILES:
        f = folder / name
        if not f.exists():
            raise file_error(folder, f"not a 4KRD checkpoint folder: {name} is missing "
                                     f"(expected {', '.join(OFFICIAL_FILES)})")
        try:
            part = torch.load(f, map_location="cpu", weights_only=True)
        except Exception as e:  # noqa: BLE001 - corrupt file, or pickled objects other than tensors
            raise file_error(f, f"cannot read checkpoint safely (weights_only): {str(e).splitlines()[0]}") from e
        if not isinstance(part, dict):
            raise file_error(f, f"expected a state_dict, found {type(part).__name__}")
        if part and all(k.startswith("module.") for k in part):  # saved from nn.DataParallel
            part = {k[len("module."):]: v for k, v in part.items()}
        prefix = name[: -len(".pkl")]
        for k, v in part.items():
            if not isinstance(v, torch.Tensor):
                raise file_error(f, f"entry {k} is not a tensor")
            sd[f"{prefix}.{k}"] = v.float()
    return sd


_ARCH_KWARGS = {"uhdvd": {"spaa", "attention", "global_residual", "decoder_blocks"},
                "uhdvd_official": {"spaa", "attention", "tile_rows"}, "dmphn": {"spaa"}}


def decoder_blocks_in(sd: dict) -> int | None:
    """Residual blocks per decoder stage held by a UHDVD state dict (2: released code and paper-variant files
    written before the paper's 3 became the default; 3: paper variant), read from the block keys
    (:data:`uhdvd_model.arch.blocks.DECODER_RES_SLOTS`); None when the keys show no consistent count."""
    from uhdvd_model.arch.blocks import DECODER_RES_SLOTS

    counts = set()
    for s in range(1, 5):
        for slots in DECODER_RES_SLOTS:
            have = [f"decoder_lv{s}.layer{i}.0.weight" in sd for i in slots]
            n = sum(have)
            if have != [True] * n + [False] * (len(slots) - n):
                return None
            counts.add(n)
    return counts.pop() if len(counts) == 1 and 0 not in counts else None


def _build(arch: str, kwargs: dict, sd: dict, where: os.PathLike | str):
    """Build ``arch`` for the state dict ``sd``: the paper variant takes its decoder depth from the keys when the
    sidecar / overrides do not name it (files from before ``decoder_blocks`` existed hold 2 blocks per stage)."""
    from uhdvd_model.arch import build_model

    kwargs = {k: v for k, v in kwargs.items() if k in _ARCH_KWARGS[arch]}
    n = decoder_blocks_in(sd) if arch in ("uhdvd", "uhdvd_official") else None
    if arch == "uhdvd" and "decoder_blocks" not in kwargs and n is not None:
        kwargs["decoder_blocks"] = n
    if arch == "uhdvd_official" and n is not None and n != 2:
        raise file_error(where, f"weights have {n} residual blocks per decoder stage (paper variant); the "
                                "official-compatible architecture has 2: load them as arch 'uhdvd'")
    return build_model(arch, **kwargs)


def load_weights(path: os.PathLike | str, map_location: str | torch.device = "cpu", arch: str | None = None,
                 **overrides):
    """Load ``.safetensors`` (+ ``.json``) or a released 4KRD folder. ``overrides`` replace build kwargs
    (e.g. ``spaa="batch"``, ``tile_rows=32``; ones the architecture does not take are ignored); ``arch`` builds
    another architecture with the same keys (e.g. official weights into the paper variant, which then gets the
    released 2 residual blocks per decoder stage). The paper variant's ``decoder_blocks`` comes from the sidecar,
    else from the state dict's keys (older files hold 2 blocks per stage and have no ``decoder_blocks``).
    Returns ``(model, meta)``; the model is in eval mode."""
    from uhdvd_model.arch import ARCH_NAMES

    if arch is not None and arch not in ARCH_NAMES:
        raise UserError(f"unknown architecture {arch!r} (choose from {', '.join(ARCH_NAMES)})")

    path = Path(path)
    if not path.exists():
        raise file_error(path, "no such weights file or folder")
    if path.is_dir() and not is_official_dir(path) and (path / "model.safetensors").is_file():
        path = path / "model.safetensors"  # a training run folder
    if path.is_dir():
        sd = read_official(path)
        model = _build(arch or "uhdvd_official", overrides, sd, path)
        load_state_strict(model, sd, path)
        meta = {"source": "official 4KRD checkpoint", "folder": str(path)}
    else:
        if path.suffix == ".pkl":
            raise file_error(path, "give the folder holding encoder_lv1..4.pkl / decoder_lv1..4.pkl, not one file")
        if path.suffix != ".safetensors":
            raise file_error(path, "unknown weights format (expected .safetensors or a 4KRD .pkl folder)")
        js = sidecar(path)
        if not js.exists():
            raise file_error(js, "missing JSON sidecar (arch and settings) next to the .safetensors file")
        try:
            info = json.loads(js.read_text())
        except ValueError as e:
            raise file_error(js, f"invalid JSON: {e}") from e
        if info.get("format") != FORMAT or info.get("arch") not in ARCH_NAMES:
            raise file_error(js, f"not a uhdvd weights sidecar (format={info.get('format')!r}, "
                                 f"arch={info.get('arch')!r})")
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            sd = load_file(str(path), device="cpu")
        except (SafetensorError, OSError) as e:
            raise file_error(path, f"cannot read safetensors: {e}") from e
        model = _build(arch or info["arch"], {**info.get("kwargs", {}), **overrides}, sd, path)
        load_state_strict(model, sd, path)
        meta = info.get("meta", {})
    model.eval()
    return model.to(map_location), meta


def convert(folder: os.PathLike | str, out: os.PathLike | str) -> Path:
    """Released 4KRD folder -> ``out.safetensors`` + ``out.json`` (arch ``uhdvd_official``)."""
    from uhdvd_data.common.hashing import sha256_file

    folder = Path(folder)
    if not folder.is_dir():
        raise file_error(folder, "not a folder (expected the released checkpoint folder with encoder_lv1.pkl ...)")
    model, _ = load_weights(folder)
    meta = {"source": "official 4KRD checkpoint (dseny/UHDVD checkpoints/4KRD)",
            "files": {f: sha256_file(folder / f) for f in OFFICIAL_FILES}}
    model.arch_kwargs = {}
    return save_weights(model, out, meta)
