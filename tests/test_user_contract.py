"""The user's contract on a folder of messy phone-like footage: the three commands, exactly as typed, one after another
in one folder, no other flags. Every clip kind below once stopped one of them (or could have)."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import clipgen
import pytest

BIN = Path(sys.executable).parent


def _footage(raw: Path) -> dict[str, Path]:
    """One clip of each kind real phones and sample folders hold (small frames, a handful of frames each)."""
    clips = {
        "portrait_ntsc_audio.mp4": clipgen.make_clip(size=(96, 64), fps="30000/1001", frames=6, rotation=90,
                                                     audio=True, make="Apple", model="iPhone 15"),
        "hlg_hevc_60.mov": clipgen.make_clip(size=(96, 64), fps="60", frames=6, codec="libx265",
                                             pix_fmt="yuv420p10le", transfer="hlg", container=".mov"),
        "vfr_drops.mp4": clipgen.make_clip(size=(96, 64), frames=8, vfr=True),
        "odd_size.mp4": clipgen.make_clip(size=(94, 62), frames=5),
        "two_frames.mp4": clipgen.make_clip(size=(96, 64), frames=2),
        "scene_cut.mp4": clipgen.scene_cut_clip(size=(96, 64), frames_each=4),
        "sparse.avi": clipgen.sparse_avi(frames=4, every=6),
    }
    raw.mkdir()
    for name, src in clips.items():
        shutil.copy(src, raw / name)
    return clips


def _run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / argv[0]), *argv[1:]], capture_output=True, text=True, timeout=900)


@pytest.mark.slow
def test_three_commands_on_messy_footage(in_tmp):
    clips = _footage(Path("raw"))
    for argv in (("uhdvd-data", "interpolate", "raw/", "--fps", "480"), ("uhdvd-data", "synthesize", "--window", "13"),
                 ("uhdvd-train", "--manifest", "manifests/4krd.csv")):
        r = _run(*argv)
        assert r.returncode == 0, f"{' '.join(argv)}:\n{r.stderr[-3000:]}"
        assert "Traceback" not in r.stderr
    with open("manifests/4krd.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    by_clip: dict[str, list[dict]] = {}
    for r in rows:
        by_clip.setdefault(r["clip_id"], []).append(r)
    # every clip long enough for a window around a captured frame made pairs; the 2-frame one makes none beside them
    assert set(by_clip) == {Path(n).stem for n in clips} - {"two_frames"}
    portrait = by_clip["portrait_ntsc_audio"][0]
    assert (portrait["width"], portrait["height"]) == ("64", "96")  # displayed upright
    assert {r["crf"] for r in by_clip["hlg_hevc_60"]} == {"hlg"} and by_clip["hlg_hevc_60"][0]["bit_depth"] == "16"
    assert {r["crf"] for r in by_clip["odd_size"]} == {"srgb"}
    assert Path("runs/4krd-uhdvd/weights.safetensors").is_file()
