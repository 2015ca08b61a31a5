"""kill -9 at arbitrary moments, rerun: dataset and manifest byte-identical to an uninterrupted run."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ARGS = ["synthesize", "--window", "5", "--center", "any", "--stride", "3", "--noise", "poisson-gaussian:0.002,0.002",
        "--no-progress"]


def _hashes(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _run(cwd: Path, *extra) -> subprocess.Popen:
    code = "import sys; from uhdvd_data.cli import main; main(sys.argv[1:])"
    return subprocess.Popen([sys.executable, "-c", code, *ARGS, *extra], cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=dict(os.environ, OMP_NUM_THREADS="1"))


@pytest.mark.slow
def test_kill9_then_resume_is_byte_identical(tmp_path, mkclip):
    src = tmp_path / "src"
    for k in range(2):
        mkclip(src / "interp", f"clip{k}", n_src=9, factor=16, seed=k)
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    for d in (clean, killed):
        d.mkdir()
        os.symlink(src / "interp", d / "interp")
    p = _run(clean)
    assert p.wait(timeout=120) == 0, p.stderr.read()
    want = _hashes(clean / "dataset")
    n_pairs = sum(1 for k in want if "/blur/" in k)
    assert n_pairs >= 40
    kills = 0
    for target in (3, n_pairs // 2, n_pairs - 8):
        p = _run(killed)
        deadline = time.time() + 60
        while time.time() < deadline and p.poll() is None:
            done = len(list((killed / "dataset").rglob("blur/*.png"))) if (killed / "dataset").exists() else 0
            if done >= target:
                p.send_signal(signal.SIGKILL)
                kills += 1
                break
            time.sleep(0.005)
        p.wait(timeout=60)
        print("killed at", target, "pairs; rc", p.returncode)
    assert kills >= 2, kills
    assert not (killed / "manifests" / "4krd.csv").exists() or kills < 3
    # a leftover temp file from an interrupted atomic write is cleaned on rerun
    clip_dir = next((killed / "dataset").glob("*/clip0"))
    (clip_dir / "blur" / ".tmp-000099.png.abc").write_bytes(b"partial")
    (killed / "manifests").mkdir(exist_ok=True)
    (killed / "manifests" / ".tmp-4krd.csv.xyz").write_text("half a manifest")
    p = _run(killed)
    assert p.wait(timeout=120) == 0, p.stderr.read()
    assert _hashes(killed / "dataset") == want
    assert _hashes(killed / "manifests") == _hashes(clean / "manifests")
