"""`synthesize` reads interp/ through the clip store: an ffv1 store gives the same bytes as a png store."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from clirun import cli

from uhdvd_data.interp.store import FFV1_NAME, InterpClip, InterpClipWriter

ARGS = ["synthesize", "--window", "13", "--no-progress"]




def hashes(root: Path) -> dict:
    """sha256 of every output file; synth.json is left out (its fingerprint covers clip.json, which names the
    store format)."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != "synth.json"}


def to_ffv1(src: Path, dst: Path) -> None:
    """Re-store every clip of interp folder `src` as an ffv1 clip in `dst` (what `interpolate --format ffv1` makes)."""
    for folder in sorted(p for p in src.iterdir() if (p / "clip.json").is_file()):
        clip = InterpClip(folder)
        wr = InterpClipWriter(dst / folder.name, format="ffv1")
        for r in clip.rows:
            wr.write(r, clip.read(r.index))
        wr.finish({k: v for k, v in clip.meta.items() if k not in ("n_frames", "complete", "format")})


def run_in(capsys, cwd: Path, *extra) -> dict:
    old = Path.cwd()
    os.chdir(cwd)
    try:
        rc, _, err = cli(capsys, *ARGS, *extra)
        assert rc == 0, err
    finally:
        os.chdir(old)
    return hashes(cwd / "dataset") | {"manifest/" + k: v for k, v in hashes(cwd / "manifests").items()}


@pytest.fixture()
def two_stores(interp3, mkclip):
    """png/interp (three 8-bit clips + one 16-bit clip) and ffv1/interp holding the same frames as ffv1 videos."""
    mkclip(interp3 / "interp", "deep", n_src=3, dtype=np.uint16, seed=4)
    (interp3 / "png").mkdir()
    shutil.move(interp3 / "interp", interp3 / "png" / "interp")
    to_ffv1(interp3 / "png" / "interp", interp3 / "ffv1" / "interp")
    assert not list((interp3 / "ffv1" / "interp").rglob("*.png"))
    return interp3 / "png", interp3 / "ffv1"


def test_ffv1_store_gives_identical_dataset(two_stores, capsys, monkeypatch):
    import uhdvd_data.synth.dataset as ds

    png, ffv1 = two_stores
    want = run_in(capsys, png)
    assert any("/blur/" in k for k in want) and "manifest/4krd.csv" in want
    assert run_in(capsys, ffv1) == want
    # one pair per chunk: every chunk starts mid-video (the decoder seeks); and a resume after losing some pairs
    monkeypatch.setattr(ds, "CHUNK_PAIRS", 1)
    shutil.rmtree(ffv1 / "manifests")
    for p in sorted((ffv1 / "dataset").rglob("blur/*.png"))[1::2]:
        p.unlink()
    assert run_in(capsys, ffv1) == want


def test_ffv1_store_with_jobs(two_stores, capsys):
    """Worker processes decode the ffv1 videos themselves. Run in a child process: joblib's worker pool outlives
    a run and keeps the working folder it was started in, which would leak into other tests."""
    png, ffv1 = two_stores
    code = "import sys; import uhdvd_data.synth.dataset as ds; ds.CHUNK_PAIRS = 2; from uhdvd_data.cli import main; main()"
    r = subprocess.run([sys.executable, "-c", code, *ARGS, "--jobs", "2"], cwd=ffv1, capture_output=True, text=True,
                       env=dict(os.environ, OMP_NUM_THREADS="1"), timeout=300)
    assert r.returncode == 0, r.stderr
    got = hashes(ffv1 / "dataset") | {"manifest/" + k: v for k, v in hashes(ffv1 / "manifests").items()}
    assert got == run_in(capsys, png)


def test_broken_ffv1_store_fails_before_writing(two_stores, capsys):
    _, ffv1 = two_stores
    video = ffv1 / "interp" / "clipA" / FFV1_NAME
    data = video.read_bytes()
    video.write_bytes(data[: len(data) // 3])
    os.chdir(ffv1)
    rc, _, err = cli(capsys, *ARGS)
    assert rc == 2 and len(err.strip().splitlines()) == 1 and f"clipA/{FFV1_NAME}: " in err and "rerun interpolate" in err
    assert not Path("dataset").exists() or not list(Path("dataset").rglob("*.png"))
    video.unlink()
    rc, _, err = cli(capsys, *ARGS)
    assert rc == 2 and "missing frame video (rerun interpolate)" in err


def test_interpolate_ffv1_then_synthesize_cli(in_tmp, capsys, monkeypatch):
    """The chain users run: make footage, `interpolate --format ffv1`, `synthesize --window 13`; same pairs as png."""
    monkeypatch.setenv("UHDVD_INTERP_WEIGHTS", "none")
    rc, _, err = cli(capsys, "make-demo", "raw", "--size", "96x64", "--clips", "1", "--frames", "5", "--motion", "2,4",
                     "--no-truth", "--quiet")
    assert rc == 0, err
    results = {}
    for fmt in ("ffv1", "png"):
        Path(fmt).mkdir()
        os.chdir(fmt)
        rc, out, err = cli(capsys, "interpolate", "../raw", "--fps", "480", "--format", fmt, "--method", "blend",
                           "--no-progress")
        assert rc == 0, err
        assert (fmt == "ffv1") == bool(list(Path("interp").rglob(FFV1_NAME)))
        rc, out, err = cli(capsys, *ARGS)
        assert rc == 0, err
        assert "3 pairs from 1 clip(s)" in out
        os.chdir(in_tmp)
        results[fmt] = hashes(in_tmp / fmt / "dataset") | hashes(in_tmp / fmt / "manifests")
    assert results["ffv1"] == results["png"]
