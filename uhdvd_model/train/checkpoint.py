"""Checkpoints: weights apart from training state, written atomically, validated on resume.

    runs/<name>/checkpoints/step_00002000/
        model.safetensors (+ model.json)   weights, via uhdvd_model.weights.save_weights (loadable by uhdvd-eval)
        ema.safetensors   (+ ema.json)     EMA weights (when --ema-decay > 0)
        state.pt                           optimizer, scheduler, grad scaler, step, data position, RNG states,
                                           history (loss / PSNR curves); tensors and plain types only
        done.json                          written last: sha256 of every file above

A checkpoint folder is assembled under a temporary name and renamed into place, so a crash leaves either a complete
folder or a `.tmp-*` leftover that is ignored. `latest_valid` walks checkpoints newest first and returns the first
whose done.json exists and whose files match their hashes, reporting the ones it skipped.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch

from uhdvd_data.common.hashing import sha256_file

CKPT_RE = re.compile(r"^step_(\d+)$")


def save_model_file(model: torch.nn.Module, path: Path, meta: dict) -> None:
    """Weights as safetensors + JSON beside; the project format when the architecture is one of ours."""
    arch = meta.get("arch", "")
    if ":" not in str(arch):
        try:
            from uhdvd_model.weights import save_weights
        except ImportError:
            save_weights = None
        if save_weights is not None:
            save_weights(model, str(path), meta)
            return
    from uhdvd_data.common.atomic import write_bytes, write_text
    from uhdvd_data.common.tensorfile import to_bytes

    sd = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    write_bytes(path, to_bytes(sd, metadata={"arch": str(arch)}), fsync=True)
    write_text(path.with_suffix(".json"), json.dumps(meta, indent=1, sort_keys=True, default=str))


def load_model_file(model: torch.nn.Module, path: Path) -> None:
    """Load a weights file written by save_model_file into an existing model (strict)."""
    from safetensors.torch import load_file

    sd = load_file(str(path))
    own = model.state_dict()
    if set(sd) != set(own):
        from uhdvd_model.weights import load_weights

        loaded, _ = load_weights(str(path), map_location="cpu")
        sd = loaded.state_dict()
    if set(sd) != set(own) or any(sd[k].shape != own[k].shape for k in own):
        from uhdvd_data.common.errors import file_error

        extra = sorted(set(sd) - set(own))[:2] or sorted(set(own) - set(sd))[:2]
        raise file_error(path, f"holds a different network than this run builds (e.g. {', '.join(extra) or 'shapes'}"
                         f"); it was written by another version: start a new run with --init {path}")
    model.load_state_dict(sd, strict=True)


def rng_state() -> dict:
    np_state = np.random.get_state()
    st = {
        "python": random.getstate(),
        "numpy": (np_state[0], torch.from_numpy(np_state[1].astype(np.int64)), int(np_state[2]), int(np_state[3]),
                  float(np_state[4])),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        st["cuda"] = torch.cuda.get_rng_state_all()
    return st


def set_rng_state(st: dict) -> None:
    random.setstate(st["python"])
    name, keys, pos, has_gauss, cached = st["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(st["torch"])
    if "cuda" in st and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(st["cuda"])


def ckpt_dir(run: Path, step: int) -> Path:
    return run / "checkpoints" / f"step_{step:08d}"


def save_checkpoint(run: Path, step: int, model: torch.nn.Module, state: dict, meta: dict,
                    ema_model: torch.nn.Module | None = None, keep: int = 3) -> Path:
    """Write one complete checkpoint folder atomically; prune to the newest `keep`. Returns its path."""
    final = ckpt_dir(run, step)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{final.name}.", dir=final.parent))
    try:
        save_model_file(model, tmp / "model.safetensors", meta)
        if ema_model is not None:
            save_model_file(ema_model, tmp / "ema.safetensors", {**meta, "ema": True})
        torch.save(state, tmp / "state.pt")
        files = sorted(p.name for p in tmp.iterdir())
        done = {"step": step, "files": {n: sha256_file(tmp / n) for n in files}}
        (tmp / "done.json").write_text(json.dumps(done, indent=1))
        for n in [*files, "done.json"]:
            with open(tmp / n, "rb") as f:
                os.fsync(f.fileno())
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for old in list_checkpoints(run)[keep:] if keep > 0 else []:
        shutil.rmtree(old[1], ignore_errors=True)
    return final


def list_checkpoints(run: Path) -> list[tuple[int, Path]]:
    """(step, folder) of checkpoint folders, newest first (validity not checked)."""
    root = run / "checkpoints"
    if not root.is_dir():
        return []
    out = []
    for p in root.iterdir():
        m = CKPT_RE.match(p.name)
        if m and p.is_dir():
            out.append((int(m.group(1)), p))
    return sorted(out, reverse=True)


def check_checkpoint(folder: Path) -> str | None:
    """None when the folder is a complete, uncorrupted checkpoint; else why not."""
    done = folder / "done.json"
    if not done.is_file():
        return "incomplete (no done.json)"
    try:
        info = json.loads(done.read_text())
        files = info["files"]
    except (ValueError, KeyError):
        return "done.json is unreadable"
    if "model.safetensors" not in files or "state.pt" not in files:
        return "done.json lists no model/state"
    for name, digest in files.items():
        p = folder / name
        if not p.is_file():
            return f"{name} is missing"
        if sha256_file(p) != digest:
            return f"{name} does not match its hash (corrupt)"
    return None


def latest_valid(run: Path, log=print) -> Path | None:
    for step, folder in list_checkpoints(run):
        why = check_checkpoint(folder)
        if why is None:
            return folder
        log(f"resume: skipping checkpoint step {step}: {why}")
    return None


def load_state(folder: Path) -> dict:
    # Our own file: tensors, numbers, strings, tuples only, so the safe loader suffices.
    return torch.load(folder / "state.pt", map_location="cpu", weights_only=True)


def publish(folder: Path, run: Path, names: dict[str, str]) -> None:
    """Copy checkpoint files (and their .json) to the run folder under new names, atomically each."""
    for src, dst in names.items():
        for suffix in (".safetensors", ".json"):
            s = folder / (src + suffix)
            if not s.is_file():
                continue
            d = run / (dst + suffix)
            tmp = run / f".tmp-{dst}{suffix}"
            shutil.copyfile(s, tmp)
            os.replace(tmp, d)
