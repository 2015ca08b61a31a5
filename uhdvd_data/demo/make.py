"""make_demo(): write demo clips (<out>/<clip>.mp4, 30 fps) and their 480 fps truth (<out>/truth480/<clip>/)."""

from __future__ import annotations

import json
import os
import shutil
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..common.atomic import write_text
from ..common.errors import UserError, file_error
from ..common.images import write_image
from ..render.clip import scene_for, truth_times
from ..render.photos import DEMO_PHOTOS

FPS = 30
FACTOR = 16  # 30 fps * 16 = 480 fps truth
MANIFEST = "demo.json"
# Video encoding of demo clips: H.264 lossless mode (qp 0) on 8-bit 4:4:4 YUV with BT.709 matrix; the only loss
# is the RGB <-> YUV rounding (decoded frames are > 45 dB PSNR from the rendered ones).
ENCODING = {"codec": "libx264", "qp": 0, "pix_fmt": "yuv444p", "matrix": "bt709", "range": "tv"}


def clip_name(k: int) -> str:
    return f"demo{k:02d}_{DEMO_PHOTOS[k % len(DEMO_PHOTOS)]}"


def clip_seed(seed: int, k: int) -> int:
    return int(np.random.SeedSequence([int(seed), int(k)]).generate_state(1)[0])


def _settings(size, clips, frames, seed, truth, motion) -> dict:
    return {"size": [int(size[0]), int(size[1])], "clips": int(clips), "frames": int(frames), "seed": int(seed),
            "fps": FPS, "truth_fps": FPS * FACTOR if truth else None, "motion": [float(motion[0]), float(motion[1])],
            "encoding": ENCODING}


def _clip_done(out: Path, name: str, truth: bool, n_truth: int) -> bool:
    tdir = out / "truth480" / name
    if not (out / f"{name}.mp4").is_file() or not (tdir / "camera.json").is_file():
        return False
    return not truth or (tdir / f"{n_truth - 1:06d}.png").is_file()


def make_demo(out: os.PathLike | str, size: tuple[int, int] = (320, 180), clips: int = 3, frames: int = 24,
              seed: int = 0, truth: bool = True, force: bool = False, motion: tuple[float, float] = (10.0, 40.0),
              progress: bool = True) -> dict:
    """Render the demo set. Same settings again: finishes what is missing (a no-op when complete). Different
    settings in an existing demo folder, or a non-empty folder that is not a demo: refused unless force."""
    from tqdm import tqdm

    from ..video import VideoWriter

    out = Path(out)
    w, h = int(size[0]), int(size[1])
    if w < 16 or h < 16 or w % 2 or h % 2:
        raise UserError(f"--size {w}x{h}: width and height must be even and at least 16")
    if clips < 1 or frames < 2:
        raise UserError("need --clips >= 1 and --frames >= 2")
    lo, hi = motion
    if not 0 <= lo < hi:
        raise UserError(f"--motion {lo},{hi}: need 0 <= LO < HI")
    settings = _settings((w, h), clips, frames, seed, truth, motion)
    manifest_path = out / MANIFEST
    names = [clip_name(k) for k in range(clips)]
    if out.exists() and not out.is_dir():
        raise file_error(out, "exists and is not a folder")
    if manifest_path.is_file():
        try:
            old = json.loads(manifest_path.read_text())
        except (OSError, ValueError) as e:
            raise file_error(manifest_path, f"unreadable demo manifest ({e}); use --force to overwrite") from None
        if old.get("settings") != settings:
            if not force:
                raise file_error(out, "holds a different demo (other settings); use --force to replace it, "
                                      "or choose another folder")
            for name in old.get("clips", []):
                (out / f"{name}.mp4").unlink(missing_ok=True)
                shutil.rmtree(out / "truth480" / name, ignore_errors=True)
    elif out.is_dir() and any(out.iterdir()) and not force:
        raise file_error(out, "folder is not empty and holds no demo; use --force to write the demo into it")

    n_truth = (frames - 1) * FACTOR + 1
    todo = [k for k, name in enumerate(names) if not _clip_done(out, name, truth, n_truth)]
    manifest = {"tool": "uhdvd-data make-demo", "settings": settings, "clips": names, "complete": False,
                "photos": {name: DEMO_PHOTOS[k % len(DEMO_PHOTOS)] for k, name in enumerate(names)}}
    out.mkdir(parents=True, exist_ok=True)
    if not todo:
        manifest["complete"] = True
        if not manifest_path.is_file() or json.loads(manifest_path.read_text()) != manifest:
            write_text(manifest_path, json.dumps(manifest, indent=2) + "\n")
        return {"out": str(out), "clips": names, "made": [], "up_to_date": True}
    write_text(manifest_path, json.dumps(manifest, indent=2) + "\n")

    per_clip = n_truth if truth else frames
    bar = tqdm(total=per_clip * len(todo), unit="frame", desc="make-demo", disable=not progress, mininterval=1.0)
    try:
        for k in todo:
            name = names[k]
            photo = DEMO_PHOTOS[k % len(DEMO_PHOTOS)]
            scene = scene_for(photo, (w, h), frames, clip_seed(seed, k), FPS, motion)
            tdir = out / "truth480" / name
            tdir.mkdir(parents=True, exist_ok=True)
            (tdir / "camera.json").unlink(missing_ok=True)
            with VideoWriter(out / f"{name}.mp4", Fraction(FPS), w, h, codec=ENCODING["codec"], qp=ENCODING["qp"],
                             crf=None, pix_fmt=ENCODING["pix_fmt"]) as vw:
                if truth:
                    for j, t in truth_times(frames, FPS, FACTOR):
                        rgb = scene.render_frame(t)
                        write_image(tdir / f"{j:06d}.png", rgb)
                        if j % FACTOR == 0:
                            vw.write(rgb)
                        bar.update(1)
                else:
                    for i in range(frames):
                        vw.write(scene.render_frame(float(Fraction(i, FPS))))
                        bar.update(1)
            cam = scene.describe()
            cam.update(clip=name, clip_index=k, demo_seed=seed, scene_seed=clip_seed(seed, k), n_frames=frames,
                       factor=FACTOR, truth_fps=FPS * FACTOR, truth_frames=n_truth if truth else 0,
                       video=f"../../{name}.mp4", encoding=ENCODING,
                       truth_pattern="%06d.png (truth frame i*16 == video frame i)" if truth else None)
            write_text(tdir / "camera.json", json.dumps(cam, indent=2) + "\n")
    finally:
        bar.close()
    manifest["complete"] = True
    write_text(manifest_path, json.dumps(manifest, indent=2) + "\n")
    return {"out": str(out), "clips": names, "made": [names[k] for k in todo], "up_to_date": False}
