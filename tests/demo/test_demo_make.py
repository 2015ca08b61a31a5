"""make-demo: files, truth/video agreement (PSNR), determinism, resume/refuse/force, CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from uhdvd_data.common.errors import UserError
from uhdvd_data.common.images import read_image
from uhdvd_data.demo import make_demo
from uhdvd_data.video import open_video, probe

BIN = Path(sys.executable).parent / "uhdvd-data"
SMALL = dict(size=(128, 72), clips=2, frames=3, seed=0, progress=False)


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "raw_demo"
    make_demo(out, **SMALL)
    return out


def test_files_and_layout(demo_dir):
    names = json.loads((demo_dir / "demo.json").read_text())["clips"]
    assert names == ["demo00_astronaut", "demo01_coffee"]
    for name in names:
        info = probe(demo_dir / f"{name}.mp4")
        assert (info.width, info.height, info.fps_str, info.frame_count) == (128, 72, "30", 3)
        tdir = demo_dir / "truth480" / name
        pngs = sorted(tdir.glob("*.png"))
        assert [p.name for p in pngs] == [f"{j:06d}.png" for j in range(33)]
        cam = json.loads((tdir / "camera.json").read_text())
        assert cam["truth_fps"] == 480 and cam["factor"] == 16 and cam["photo"] in name
        assert cam["camera"]["circles"] and cam["object"]["radius"] > 0
    assert not list(demo_dir.rglob(".tmp-*"))


def test_decoded_video_matches_truth_over_45db(demo_dir):
    for name in ["demo00_astronaut", "demo01_coffee"]:
        with open_video(demo_dir / f"{name}.mp4") as v:
            decoded = [f.rgb for f in v]
        for i, rgb in enumerate(decoded):
            truth = read_image(demo_dir / "truth480" / name / f"{16 * i:06d}.png")
            assert psnr(rgb, truth) > 45, (name, i, psnr(rgb, truth))
        # and not trivially: a neighbouring truth frame differs a lot
        neighbour = read_image(demo_dir / "truth480" / name / f"{16 + 8:06d}.png")
        assert psnr(decoded[1], neighbour) < 30


def test_byte_identical_rerun(demo_dir, tmp_path):
    again = tmp_path / "again"
    make_demo(again, **SMALL)
    for p in (demo_dir / "truth480").rglob("*"):
        if p.is_file():
            assert (again / p.relative_to(demo_dir)).read_bytes() == p.read_bytes(), p


def test_same_settings_noop_and_resume(tmp_path):
    out = tmp_path / "d"
    small = dict(SMALL, clips=1, frames=2)
    make_demo(out, **small)
    mp4 = out / "demo00_astronaut.mp4"
    mtime = mp4.stat().st_mtime_ns
    assert make_demo(out, **small)["up_to_date"]
    assert mp4.stat().st_mtime_ns == mtime
    # an interrupted clip (camera.json missing) is redone
    (out / "truth480" / "demo00_astronaut" / "camera.json").unlink()
    res = make_demo(out, **small)
    assert res["made"] == ["demo00_astronaut"]


def test_refuses_other_demo_or_foreign_folder(tmp_path):
    out = tmp_path / "d"
    make_demo(out, **dict(SMALL, clips=1, frames=2, truth=False))
    with pytest.raises(UserError, match="holds a different demo.*--force"):
        make_demo(out, **dict(SMALL, clips=1, frames=2, seed=1, truth=False))
    res = make_demo(out, **dict(SMALL, clips=1, frames=2, seed=1, truth=False), force=True)
    assert res["made"] == ["demo00_astronaut"]
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "holiday.mp4").write_bytes(b"x")
    with pytest.raises(UserError, match="not empty and holds no demo"):
        make_demo(foreign, **SMALL)


def test_cli(in_tmp):
    r = subprocess.run([str(BIN), "make-demo", "out", "--size", "64x48", "--clips", "1", "--frames", "2",
                        "--no-truth", "--quiet"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "out/demo00_astronaut.mp4" in r.stdout
    assert (in_tmp / "out" / "demo00_astronaut.mp4").is_file()
    assert not list((in_tmp / "out" / "truth480" / "demo00_astronaut").glob("*.png"))
    r = subprocess.run([str(BIN), "make-demo", "out", "--size", "64x48", "--clips", "1", "--frames", "2",
                        "--no-truth", "--seed", "3"], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.startswith("uhdvd-data: error: out: holds a different demo")
    r = subprocess.run([str(BIN), "make-demo", "out2", "--size", "65x48"], capture_output=True, text=True)
    assert r.returncode == 2 and "must be even" in r.stderr and not (in_tmp / "out2").exists()
