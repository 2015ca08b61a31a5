"""The synthesis benchmark scripts run end to end on tiny inputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _fidelity_script():
    """benchmarks/synth_fidelity.py as a module (tests/conftest.py puts benchmarks/ on the path)."""
    import synth_fidelity

    return synth_fidelity


@pytest.mark.slow
def test_speed_script_tiny(tmp_path):
    out = tmp_path / "speed.json"
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks/synth_speed.py"), "--size", "96x64", "--src-frames", "4",
                        "--repeats", "1", "--json", str(out)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    res = json.loads(out.read_text())
    assert res["pairs"] == 2 and res["speed_ratio"] > 0 and 0 < res["disk_ratio"] < 1


def test_fidelity_pipeline_on_tiny_inputs():
    sf = _fidelity_script()
    rng = np.random.default_rng(0)
    truth = [rng.integers(0, 256, (8, 12, 3), dtype=np.uint8) for _ in range(49)]
    ref = sf.blurs(truth, 16, 13)
    assert len(ref) == 2  # centred on source frames 1 and 2

    class Exact:  # an oracle interpolator: returns the true in-between frames
        def prepare(self, a, b, **_):
            return next(i for i in range(0, 48, 16) if truth[i] is a)

        def frame(self, i, t):
            return truth[i + round(t * 16)]

    class Blend:
        def prepare(self, a, b, **_):
            return a, b

        def frame(self, st, t):
            return ((1 - t) * st[0] + t * st[1] + 0.5).astype(np.uint8)

    src = truth[::16]
    assert all(sf.psnr(a, b) == float("inf") for a, b in zip(sf.blurs(sf.interpolate(src, 16, Exact()), 16, 13), ref))
    got = sf.blurs(sf.interpolate(src, 16, Blend()), 16, 13)
    assert all(5 < sf.psnr(a, b) < 60 for a, b in zip(got, ref))


def test_fidelity_smooth_camera_clip():
    sf = _fidelity_script()
    clip = sf.make_clip("smooth", "scene", (96, 64), 3, 1, (20.0, 40.0))
    assert clip.factor == 16 and len(clip.truth) == 33 and len(clip.frames) == 3
    assert clip.truth[0].shape == (64, 96, 3) and clip.frames[1] is clip.truth[16]
    assert not np.array_equal(clip.truth[1], clip.truth[0])  # the camera moves between 480 fps frames


def test_fidelity_oracle_method_on_a_smooth_clip():
    """The exact-motion oracle runs through the benchmark's interpolate/blur path and beats plain blending."""
    sf = _fidelity_script()
    clip = sf.make_clip("smooth", "scene", (160, 90), 3, 2, (20.0, 40.0))
    ref = sf.blurs(clip.truth, 16, 13)
    scores = {}
    for name in ("oracle", "blend"):
        m = sf.make_method(name, "cpu", None, clip.scene)
        got = sf.blurs(sf.interpolate(clip.frames, 16, m), 16, 13)
        scores[name] = float(np.mean([sf.psnr(a, b) for a, b in zip(got, ref)]))
    assert scores["oracle"] > scores["blend"] + 10, scores
    with pytest.raises(ValueError, match="exact motion"):
        sf.make_method("oracle", "cpu")


def test_crf_encode_script_tiny():
    """Both encoders of benchmarks/crf_encode.py agree on every curve and bit depth (the table's last column)."""
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks/crf_encode.py"), "--size", "96x64", "--repeats", "1"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    rows = [ln for ln in r.stdout.splitlines() if ln.startswith("| ") and "curve" not in ln]
    assert len(rows) == 6 and all(ln.rstrip().endswith("| True |") for ln in rows), r.stdout
