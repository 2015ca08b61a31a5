"""Tiny interp/ folders built directly with InterpClipWriter (no interpolator needed)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from uhdvd_data.interp.store import FrameRow, InterpClipWriter


def make_clip(root: Path, clip_id: str, n_src: int = 4, factor: int = 16, h: int = 64, w: int = 96,
              dtype=np.uint8, cut_at_src: int | None = None, seed: int = 0, sizes: dict | None = None,
              transfer: str = "bt709") -> Path:
    """A clip of (n_src - 1) * factor + 1 frames: moving gradient + noise; segment changes at source frame `cut_at_src`."""
    rng = np.random.default_rng(seed)
    maxv = np.iinfo(dtype).max
    n = (n_src - 1) * factor + 1
    folder = Path(root) / clip_id
    wr = InterpClipWriter(folder)
    yy, xx = np.mgrid[0:h, 0:w]
    for i in range(n):
        src = i // factor if i % factor == 0 else None
        seg = 1 if cut_at_src is not None and i >= cut_at_src * factor else 0
        base = ((xx + 2 * i) % w) / w * 0.7 + (yy / h) * 0.3
        img = np.stack([base, base[::-1], 1 - base], axis=2) + rng.normal(0, 0.03, (h, w, 3))
        img = (np.clip(img, 0, 1) * maxv).round().astype(dtype)
        if sizes and i in sizes:
            img = np.zeros((*sizes[i], 3), dtype)
        wr.write(FrameRow(i, i / (30.0 * factor), src, seg), img)
    wr.finish({
        "source_path": f"raw/{clip_id}.mp4", "source_sha256": "ab" * 32, "src_fps": "30/1", "src_fps_float": 30.0,
        "factor": factor, "out_fps": 30.0 * factor, "method": "blend", "weights_sha256": None,
        "tool_version": "test", "width": w, "height": h, "bit_depth": 16 if dtype == np.uint16 else 8,
        "transfer": transfer, "device_model": "test phone", "segments": [],
    })
    return folder


@pytest.fixture(scope="session")
def _interp3_template(tmp_path_factory):
    root = tmp_path_factory.mktemp("interp3")
    make_clip(root / "interp", "clipA", n_src=4, seed=1)
    make_clip(root / "interp", "clipB", n_src=3, seed=2)
    make_clip(root / "interp", "clipC", n_src=5, seed=3, cut_at_src=2)
    return root / "interp"


@pytest.fixture()
def interp3(in_tmp, _interp3_template):
    """interp/ with three small 8-bit clips (one with a scene cut), copied from a session template."""
    shutil.copytree(_interp3_template, in_tmp / "interp")
    return in_tmp


@pytest.fixture()
def mkclip():
    """The make_clip helper as a fixture (test folders are not packages)."""
    return make_clip
