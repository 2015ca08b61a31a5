"""Clip driver: grid placement, scene cuts, 16-bit output, resume, CLI end to end."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from uhdvd_data.interp import scenes
from uhdvd_data.interp.methods import DisMethod
from uhdvd_data.interp.pipeline import GAP_SEGMENT, generate
from uhdvd_data.interp.store import InterpClip, parse_frames_csv

from .conftest import moving_frames

UHDVD = str(Path(sys.executable).with_name("uhdvd-data"))


def _run(frames, factor=4):
    meta: dict = {}
    rows = list(generate(iter(frames), DisMethod(), factor, Fraction(30), meta))
    return meta, rows


def test_source_frames_land_on_grid_exactly():
    frames = moving_frames(3, speed=2.0)
    meta, rows = _run(frames, factor=4)
    assert [r.index for r, _ in rows] == list(range(9))
    for i, f in enumerate(frames):
        row, rgb = rows[i * 4]
        assert row.src_index == i
        assert np.array_equal(rgb, f)
    assert all(r.src_index is None for r, _ in rows if r.index % 4)
    assert meta["segments"] == [[0, 8]] and meta["gaps"] == []
    assert abs(rows[5][0].time_s - 5 / 120) < 1e-12


def test_scene_cut_is_not_interpolated():
    a = moving_frames(2, speed=2.0)
    from uhdvd_data.render import Scene, load_photo

    sc = Scene(load_photo("coins"), None, (64, 96), (150.0, 150.0), (2.0, 0.0), 0.0, 0.0, 1.0, 0.0)
    b = [(sc.render(float(i)) * 255 + 0.5).astype(np.uint8) for i in range(2)]
    meta, rows = _run(a + b, factor=4)
    assert meta["segments"] == [[0, 4], [8, 12]]
    assert meta["gaps"] == [[5, 7]]
    assert len(meta["boundaries"]) == 1 and meta["boundaries"][0]["after_src_index"] == 1
    for r, rgb in rows[5:8]:
        assert r.segment == GAP_SEGMENT
        # gap slots hold a captured frame; nothing is blended across the cut
        assert np.array_equal(rgb, a[1]) or np.array_equal(rgb, b[0])
    assert {r.segment for r, _ in rows[:5]} == {0}
    assert {r.segment for r, _ in rows[8:]} == {1}


def test_flash_is_a_boundary():
    a, b = moving_frames(2, speed=1.0)
    bright = np.clip(b.astype(np.int16) + 90, 0, 255).astype(np.uint8)
    assert scenes.compare(scenes.thumbnail(a), scenes.thumbnail(bright)).is_cut
    assert not scenes.compare(scenes.thumbnail(a), scenes.thumbnail(b)).is_cut


def test_continuous_motion_is_not_a_cut():
    from uhdvd_data.render import benchmark_scenes

    for sc in benchmark_scenes(3, size=(360, 640)):  # 20-40 px/frame pans with an occluder
        f0, f1 = sc.render(0.0), sc.render(1.0)
        assert not scenes.is_cut(f0, f1)


# ---- with real clips (tests/clipgen.py) ----

def _clip(tmp, name="a.mp4", **kw):
    from clipgen import make_clip

    raw = tmp / "raw"
    raw.mkdir(exist_ok=True)
    shutil.copy(make_clip(**kw), raw / name)
    return raw / name


def test_16bit_source_gives_16bit_pngs(in_tmp, no_default_weights):
    from uhdvd_data.interp.pipeline import interpolate_clip

    src = _clip(in_tmp, "ten.mp4", frames=2, codec="libx265", pix_fmt="yuv420p10le", size=(66, 50))
    meta = interpolate_clip(src, "interp", fps=60)
    assert meta["factor"] == 2 and meta["n_frames"] == 3
    clip = InterpClip("interp/ten")
    assert clip.read(1).dtype == np.uint16 and clip.read(1).shape == (50, 66, 3)
    from uhdvd_data.video import open_video

    with open_video(src) as v:
        first = next(iter(v)).rgb
    assert np.array_equal(clip.read(0), first)


def test_resume_after_interruption_is_identical(in_tmp, no_default_weights):
    from uhdvd_data.interp.pipeline import interpolate_clip

    src = _clip(in_tmp, frames=3)
    full = interpolate_clip(src, "ref", fps=120)
    assert full["status"] == "done"
    ref = {p.name: p.read_bytes() for p in Path("ref/a").glob("*.png")}
    # simulated interruption: some frames written, no frames.csv/clip.json, partial.json present
    (Path("ref/a") / "clip.json").unlink()
    (Path("ref/a") / "frames.csv").unlink()
    for name in ("000003.png", "000005.png", "000008.png"):
        (Path("ref/a") / name).unlink()
    Path("ref/a/partial.json").write_text(json.dumps(json.loads(Path("ref/a/partial.json").read_text())
                                          if Path("ref/a/partial.json").exists() else {}))
    # partial.json was removed on completion: recreate it as an interrupted run leaves it
    from uhdvd_data.interp.pipeline import PARTIAL_JSON, _identity

    Path("ref/a", PARTIAL_JSON).write_text(json.dumps(_identity(full), sort_keys=True) + "\n")
    again = interpolate_clip(src, "ref", fps=120)
    assert again["status"] == "resumed" and again["resumed_frames"] == len(ref) - 3
    assert {p.name: p.read_bytes() for p in Path("ref/a").glob("*.png")} == ref
    # finished clip is skipped
    assert interpolate_clip(src, "ref", fps=120)["status"] == "skipped"
    # a different source under the same name is redone, not resumed
    Path("ref/a/clip.json").unlink()
    Path("ref/a", PARTIAL_JSON).write_text(json.dumps(dict(_identity(full), source_sha256="0" * 64)))
    assert interpolate_clip(src, "ref", fps=120)["status"] == "done"


@pytest.mark.slow
def test_cli_end_to_end(in_tmp, no_default_weights, capsys):
    from clipgen import scene_cut_clip

    _clip(in_tmp, frames=3)
    shutil.copy(scene_cut_clip(frames_each=2), in_tmp / "raw" / "cut.mp4")
    env = dict(os.environ, UHDVD_INTERP_WEIGHTS="none")
    r = subprocess.run([UHDVD, "interpolate", "raw/", "--fps", "480"], capture_output=True, text=True, env=env,
                       timeout=600)
    assert r.returncode == 0, r.stderr
    assert "no trained interpolation weights" in r.stderr and "--method dis" in r.stderr
    meta = json.loads(Path("interp/a/clip.json").read_text())
    for key in ("source_path", "source_sha256", "src_fps", "src_fps_float", "factor", "out_fps", "method",
                "weights_sha256", "tool_version", "width", "height", "bit_depth", "transfer", "device_model",
                "segments", "n_frames", "complete"):
        assert key in meta, key
    assert meta["factor"] == 16 and meta["method"] == "dis" and meta["n_frames"] == 33
    assert meta["method_config"]["motion"] == "fused"
    rows = parse_frames_csv(Path("interp/a/frames.csv"))
    assert len(rows) == 33 and rows[16].src_index == 1
    cut = InterpClip("interp/cut")
    assert cut.segments() == [(0, 16), (32, 48)] and cut.meta["gaps"] == [[17, 31]]
    # second run: everything skipped
    from uhdvd_data.cli import main

    with pytest.raises(SystemExit) as e:
        main(["interpolate", "raw/", "--fps", "480", "--no-progress"])
    assert e.value.code == 0 and "skipped 2" in capsys.readouterr().out


def _cli(argv, capsys):
    from uhdvd_data.cli import main

    with pytest.raises(SystemExit) as e:
        main(argv)
    cap = capsys.readouterr()
    return e.value.code, cap.out, cap.err


def test_cli_errors_are_one_line(in_tmp, no_default_weights, capsys):
    Path("raw").mkdir()
    code, _, err = _cli(["interpolate", "raw/", "--fps", "480"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    _clip(in_tmp, frames=2)
    code, _, err = _cli(["interpolate", "raw/", "--method", "network"], capsys)
    assert code == 2 and "needs trained weights" in err and len(err.strip().splitlines()) == 1
    code, _, err = _cli(["interpolate", "raw/", "--fps", "abc"], capsys)
    assert code == 2 and "--fps" in err
    from uhdvd_data.common.errors import UserError
    from uhdvd_data.interp.pipeline import make_method

    with pytest.raises(UserError, match="--motion"):
        make_method("dis", motion="magic")


def test_a_bad_clip_stops_the_run_before_any_work_unless_skipped(in_tmp, no_default_weights, capsys):
    _clip(in_tmp, frames=2)
    Path("raw/broken.mp4").write_bytes(Path("raw/a.mp4").read_bytes()[:300])
    code, _, err = _cli(["interpolate", "raw/", "--fps", "60", "--method", "blend", "--no-progress"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "raw/broken.mp4" in err and "--skip-bad" in err
    assert not Path("interp").exists()  # a.mp4 sorts first, and is not touched either
    code, out, err = _cli(["interpolate", "raw/", "--fps", "60", "--method", "blend", "--no-progress", "--skip-bad"],
                          capsys)
    assert code == 0 and "skipped raw/broken.mp4" in err and "interpolated 1 clip(s)" in out
    assert InterpClip("interp/a").meta["complete"]


def test_plain_motion_option(in_tmp, no_default_weights, capsys):
    _clip(in_tmp, frames=2)
    code, _, err = _cli(["interpolate", "raw/", "--fps", "90", "--method", "dis", "--motion", "plain",
                         "--no-progress"], capsys)
    assert code == 0, err
    meta = json.loads(Path("interp/a/clip.json").read_text())
    assert meta["method_config"]["motion"] == "plain" and meta["n_frames"] == 4


def test_iter_interpolated_api(in_tmp, no_default_weights):
    from uhdvd_data.interp.pipeline import iter_interpolated

    src = _clip(in_tmp, frames=2)
    meta, frames = iter_interpolated(src, fps=90, method="blend")
    rows = list(frames)
    assert meta["factor"] == 3 and meta["method"] == "blend"
    assert [r.index for r, _ in rows] == [0, 1, 2, 3] and meta["segments"] == [[0, 3]]
    assert all(rgb.dtype == np.uint8 for _, rgb in rows)


@pytest.mark.parametrize("weights_exist", [True])
def test_auto_uses_network_when_weights_exist(in_tmp, monkeypatch, weights_exist):
    from uhdvd_data.interp.net import InterpNet
    from uhdvd_data.interp.pipeline import make_method
    from uhdvd_data.interp.weights_io import save_interp_weights

    save_interp_weights(InterpNet(k=3, widths=(8, 8)), "w.safetensors", {"note": "test"}, half=True)
    monkeypatch.setenv("UHDVD_INTERP_WEIGHTS", str(in_tmp / "w.safetensors"))
    m = make_method("auto", device="cpu")
    assert m.name == "network" and m.weights_sha256 and m.model.k == 3


@pytest.mark.parametrize("deep", [False, True])
def test_ffv1_format_matches_png(in_tmp, no_default_weights, deep):
    from uhdvd_data.interp.pipeline import interpolate_clip

    kw = dict(codec="libx265", pix_fmt="yuv420p10le", size=(66, 50)) if deep else {}
    src = _clip(in_tmp, "a.mp4", frames=2, **kw)
    interpolate_clip(src, "png", fps=120)
    meta = interpolate_clip(src, "mkv", fps=120, format="ffv1")
    assert meta["format"] == "ffv1" and Path("mkv/a/frames.mkv").is_file()
    assert not list(Path("mkv/a").glob("*.png"))
    a, b = InterpClip("png/a"), InterpClip("mkv/a")
    assert b.meta["format"] == "ffv1" and len(a) == len(b) == 5
    for i in (0, 1, 4, 2):  # includes a backwards seek
        x, y = a.read(i), b.read(i)
        assert x.dtype == y.dtype == (np.uint16 if deep else np.uint8)
        assert np.array_equal(x, y), i


@pytest.mark.slow
def test_jobs_gives_same_output_and_duplicate_ids_refused(in_tmp, no_default_weights, capsys):
    _clip(in_tmp, "a.mp4", frames=2)
    _clip(in_tmp, "b.mp4", frames=2, size=(64, 48))
    code, out, _ = _cli(["interpolate", "raw/", "--fps", "60", "--jobs", "2", "--no-progress", "--out", "j"], capsys)
    assert code == 0 and "interpolated 2 clip(s)" in out
    code, _, _ = _cli(["interpolate", "raw/", "--fps", "60", "--no-progress", "--out", "s"], capsys)
    assert code == 0
    for c in ("a", "b"):
        for i in range(3):
            assert np.array_equal(InterpClip(f"j/{c}").read(i), InterpClip(f"s/{c}").read(i))
    Path("raw/sub").mkdir()
    shutil.copy("raw/a.mp4", "raw/sub/a.mp4")
    code, _, err = _cli(["interpolate", "raw/", "--fps", "60"], capsys)
    assert code == 2 and "same clip id" in err
