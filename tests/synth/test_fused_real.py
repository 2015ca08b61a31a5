"""With the real interpolator: `build` == `interpolate` + `synthesize` (method blend, tiny clips, one with a cut)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

pytest.importorskip("uhdvd_data.interp.pipeline")
clipgen = pytest.importorskip("clipgen")
clirun = pytest.importorskip("clirun")


def _hashes(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != "synth.json"}


_cli = clirun.code


@pytest.mark.slow
@pytest.mark.parametrize("method, extra", [("blend", []), ("dis", ["--saturation", "0.8"])])
def test_build_equals_interpolate_then_synthesize(in_tmp, method, extra):
    """build keeps frames on the interpolation device and averages them there (fused.device_average): still the
    same bytes as the two-step path, which averages the PNG frames on the host."""
    raw = in_tmp / "raw"
    raw.mkdir()
    shutil.copy(clipgen.make_clip(size=(96, 64), frames=5), raw / "plain.mp4")
    shutil.copy(clipgen.scene_cut_clip(size=(96, 64), frames_each=4), raw / "cut.mp4")
    opts = ["--window", "9", "--noise", "0.001,0.001", "--no-progress", *extra]
    assert _cli("interpolate", "raw", "--fps", "480", "--method", method, "--device", "cpu") == 0
    assert _cli("synthesize", *opts) == 0
    two_step = _hashes(in_tmp / "dataset")
    manifest = (in_tmp / "manifests/4krd.csv").read_bytes()
    assert len(two_step) >= 6
    assert _cli("build", "raw", "--fps", "480", "--method", method, "--device", "cpu", "--out", "fused",
                "--manifest", "fused_manifests/4krd.csv", *opts) == 0
    assert _hashes(in_tmp / "fused") == two_step
    fused_manifest = (in_tmp / "fused_manifests/4krd.csv").read_bytes()
    assert fused_manifest == manifest.replace(b"../dataset/", b"../fused/")
