"""uhdvd-deblur: folders of frames, videos, convert, errors."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch

from uhdvd_data.common.images import read_image, write_image
from uhdvd_model.arch import build_model
from uhdvd_model.cli_deblur import main
from uhdvd_model.weights import OFFICIAL_FILES, save_weights


def run(argv):
    with pytest.raises(SystemExit) as e:
        main(argv)
    return e.value.code


def make_frames(folder, names, h=64, w=96):
    folder.mkdir()
    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    for i, n in enumerate(names):
        write_image(folder / n, np.roll(base, 2 * i, axis=1))


def test_folder_of_pngs(in_tmp):
    make_frames(in_tmp / "in", ["f_0002.png", "f_0001.png", "shot.jpg"])
    save_weights(build_model("uhdvd"), "w.safetensors", {})
    assert run(["in", "--weights", "w.safetensors", "--out", "out", "--no-progress"]) == 0
    outs = sorted(p.name for p in (in_tmp / "out").iterdir())
    assert outs == ["f_0001.png", "f_0002.png", "shot.png"]
    img = read_image(in_tmp / "out" / "shot.png")
    assert img.shape == (64, 96, 3) and img.dtype == np.uint8


def test_missing_weights_is_one_line(in_tmp, capsys):
    make_frames(in_tmp / "in", ["a.png"])
    assert run(["in", "--out", "out"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--weights is required" in err
    assert not (in_tmp / "out").exists()


def test_without_weights_the_newest_training_run_is_used(in_tmp, capsys):
    """uhdvd-train then uhdvd-deblur: runs/*/weights.safetensors, the newest one, with a line saying which."""
    import os

    make_frames(in_tmp / "in", ["a.png"])
    for k, run_name in enumerate(("old", "new")):
        (in_tmp / "runs" / run_name).mkdir(parents=True)
        save_weights(build_model("uhdvd"), in_tmp / "runs" / run_name / "weights.safetensors", {})
        os.utime(in_tmp / "runs" / run_name / "weights.safetensors", (1e9 + k, 1e9 + k))
    assert run(["in", "--out", "out", "--no-progress"]) == 0
    assert "--weights runs/new/weights.safetensors (the newest training run)" in capsys.readouterr().out
    assert (in_tmp / "out" / "a.png").is_file()


def test_bad_weights_and_input(in_tmp, capsys):
    assert run(["nothing", "--weights", "nowhere.safetensors", "--out", "o"]) == 2
    assert "nowhere.safetensors: no such" in capsys.readouterr().err


def test_convert_subcommand(in_tmp, capsys):
    m = build_model("uhdvd_official")
    (in_tmp / "ck").mkdir()
    for f in OFFICIAL_FILES:
        torch.save(m.get_submodule(f[:-4]).state_dict(), in_tmp / "ck" / f, _use_new_zipfile_serialization=False)
    assert run(["convert", "ck", "official.safetensors"]) == 0
    assert (in_tmp / "official.safetensors").exists() and (in_tmp / "official.json").exists()
    assert "wrote official.safetensors" in capsys.readouterr().out


def test_video_in_video_out_keeps_fps_and_frames(in_tmp):
    from uhdvd_data.video import VideoWriter, probe

    rng = np.random.default_rng(1)
    base = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    with VideoWriter("in.mp4", fps=Fraction(25), width=64, height=48) as w:
        for i in range(4):
            w.write(np.roll(base, i, axis=1))
    save_weights(build_model("dmphn"), "d.safetensors", {})
    assert run(["in.mp4", "--weights", "d.safetensors", "--out", "out.mp4", "--no-progress"]) == 0
    info = probe("out.mp4", hash=False)
    assert (info.width, info.height, info.frame_count) == (64, 48, 4)
    assert Fraction(info.fps_num, info.fps_den) == 25
    assert run(["in.mp4", "--weights", "d.safetensors", "--out", "pngs", "--no-progress"]) == 0
    assert sorted(p.name for p in (in_tmp / "pngs").iterdir()) == [f"{i:06d}.png" for i in range(4)]


def test_scene_cut_resets_recurrence(tmp_path):
    from uhdvd_model.infer.video import deblur_stream

    class Identity:
        resets = 0

        def reset(self):
            Identity.resets += 1

        def __call__(self, rgb):
            return rgb

    folder = tmp_path / "in"
    folder.mkdir()
    yy, xx = np.mgrid[0:72, 0:128]
    scene_a = np.stack([(xx * 2) % 256, yy * 3, (xx + yy) % 256], -1).astype(np.uint8)
    scene_b = np.stack([255 - yy * 3, (xx * 5) % 256, np.full_like(xx, 40)], -1).astype(np.uint8)
    for i, im in enumerate([scene_a, np.roll(scene_a, 1, 1), scene_b, np.roll(scene_b, 1, 1)]):
        write_image(folder / f"{i:03d}.png", im)
    stats = deblur_stream(Identity(), folder, tmp_path / "out", progress=False)
    assert stats == {"frames": 4, "resets": 1}
    assert Identity.resets == 2  # clip start + the cut
    assert stats == deblur_stream(Identity(), folder, tmp_path / "out2", progress=False, scene_threshold=0.45)
    assert deblur_stream(Identity(), folder, tmp_path / "o3", progress=False, scene_threshold=0)["resets"] == 0


def test_video_audio_is_copied(in_tmp):
    import subprocess

    from uhdvd_data.common.ffmpeg_bin import ffmpeg_exe
    from uhdvd_data.video import probe

    subprocess.run([ffmpeg_exe(), "-y", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=30",
                    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "0.2",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "in.mp4"], check=True)
    assert probe("in.mp4", hash=False).has_audio
    save_weights(build_model("dmphn"), "d.safetensors", {})
    assert run(["in.mp4", "--weights", "d.safetensors", "--out", "out.mkv", "--no-progress"]) == 0
    info = probe("out.mkv", hash=False)
    assert info.has_audio and Fraction(info.fps_num, info.fps_den) == 30
    assert info.frame_count == probe("in.mp4", hash=False).frame_count
