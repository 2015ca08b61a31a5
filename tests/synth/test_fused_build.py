"""Fused `build` gives the same pairs and manifest as interpolate + synthesize."""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import types
from pathlib import Path

import pytest

from uhdvd_data.interp.store import InterpClip
from uhdvd_data.synth.dataset import SynthConfig, synthesize_dataset
from uhdvd_data.synth.fused import build_dataset


def _hashes(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != "synth.json"}


@pytest.fixture()
def fake_pipeline(monkeypatch):
    """iter_interpolated that replays interp/<stem>/ (what `interpolate` would have written)."""
    calls = []

    def iter_interpolated(video_path, fps=480, method="auto", weights=None, device=None, dtype=None, **kw):
        clip = InterpClip(Path(os.environ["FAKE_INTERP"]) / Path(video_path).stem)
        calls.append(Path(video_path).name)
        return dict(clip.meta), ((row, clip.read(row.index)) for row in clip.rows)

    mod = types.ModuleType("uhdvd_data.interp.pipeline")
    mod.iter_interpolated = iter_interpolated
    monkeypatch.setitem(sys.modules, "uhdvd_data.interp.pipeline", mod)
    import uhdvd_data.interp as pkg

    monkeypatch.setattr(pkg, "pipeline", mod, raising=False)
    return calls


@pytest.mark.parametrize("center, stride, window, sat", [("captured", None, 13, None), ("any", 4, 7, 0.7)])
def test_fused_equals_two_step(interp3, fake_pipeline, monkeypatch, center, stride, window, sat):
    monkeypatch.setenv("FAKE_INTERP", str(interp3 / "interp"))
    raw = interp3 / "raw"
    raw.mkdir()
    for c in ("clipA", "clipB", "clipC"):
        (raw / f"{c}.mp4").write_bytes(c.encode())
    cfg = dict(window=window, center=center, stride=stride, saturation=sat, noise="0.001,0.001")
    synthesize_dataset(cfg=SynthConfig(**cfg), show_progress=False)
    two_step = _hashes(interp3 / "dataset")
    manifest = (interp3 / "manifests/4krd.csv").read_bytes()
    shutil.rmtree(interp3 / "dataset")
    shutil.rmtree(interp3 / "manifests")
    interp = {"fps": 480, "method": "blend", "weights": None, "device": None, "dtype": None}
    s = build_dataset(sorted(raw.iterdir()), interp, cfg=SynthConfig(**cfg), show_progress=False)
    assert s["pairs"] > 0
    assert _hashes(interp3 / "dataset") == two_step
    assert (interp3 / "manifests/4krd.csv").read_bytes() == manifest
    # resumed: a complete rerun rewrites nothing
    before = _hashes(interp3 / "dataset")
    n_calls = len(fake_pipeline)
    build_dataset(sorted(raw.iterdir()), interp, cfg=SynthConfig(**cfg), show_progress=False)
    assert _hashes(interp3 / "dataset") == before
    assert (interp3 / "manifests/4krd.csv").read_bytes() == manifest
    assert len(fake_pipeline) == n_calls  # finished clips are not interpolated again
