"""Streaming deblur of a video file or an image folder into PNGs or a video (bounded memory: one frame at a time).

Sources: a video file (any the video layer reads; rotation, 10-bit, VFR->CFR handled by ``open_video``) or a folder
of images (.png/.jpg/.jpeg/.tif/.tiff/.bmp) in name order.  Sinks: a folder of PNGs (``<stem>.png`` for image
inputs, ``%06d.png`` for video frames) or a video (.mp4/.mkv/.mov) through ``VideoWriter`` (fps kept, audio copied).
The recurrent state is reset at the first frame and at scene cuts (uhdvd_data.interp.scenes thumbnails).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from uhdvd_data.common.errors import UserError, file_error

if TYPE_CHECKING:
    from uhdvd_data.video import VideoWriter

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
VIDEO_OUT_SUFFIXES = (".mp4", ".mkv", ".mov")


@dataclass
class Source:
    kind: str  # "video" | "images"
    path: Path
    n_frames: int | None
    fps: Fraction | None
    width: int | None
    height: int | None
    has_audio: bool = False


def list_images(folder: Path) -> list[Path]:
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise file_error(folder, f"no images found ({', '.join(IMAGE_SUFFIXES)})")
    stems = [p.stem for p in files]
    if len(set(stems)) != len(stems):
        dup = next(s for s in stems if stems.count(s) > 1)
        raise file_error(folder, f"two images share the name {dup!r}; outputs are named <stem>.png")
    return files


@contextmanager
def open_source(path: os.PathLike | str) -> Iterator[tuple[Source, Iterator[tuple[str, np.ndarray]]]]:
    """Yield (Source, iterator of (stem, rgb))."""
    path = Path(path)
    if not path.exists():
        raise file_error(path, "no such file or folder")
    if path.is_dir():
        from uhdvd_data.common.images import read_image

        files = list_images(path)
        src = Source("images", path, len(files), None, None, None)

        def gen():
            for f in files:
                yield f.stem, read_image(f)

        yield src, gen()
        return
    from uhdvd_data.video import open_video

    with open_video(path) as v:
        info = v.info
        src = Source("video", path, info.frame_count, Fraction(info.fps_num, info.fps_den), info.width,
                     info.height, bool(info.has_audio))
        yield src, ((f"{fr.index:06d}", fr.rgb) for fr in v)


class PngSink:
    def __init__(self, folder: os.PathLike | str):
        self.folder = Path(folder)
        if self.folder.exists() and not self.folder.is_dir():
            raise file_error(self.folder, "output exists and is not a folder")
        self.folder.mkdir(parents=True, exist_ok=True)

    def write(self, stem: str, rgb: np.ndarray) -> None:
        from uhdvd_data.common.images import write_image

        write_image(self.folder / f"{stem}.png", rgb)

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass


class VideoSink:
    def __init__(self, path: os.PathLike | str, fps: Fraction, codec: str, crf: int | None,
                 audio_from: Path | None):
        self.path, self.fps, self.codec, self.crf, self.audio_from = Path(path), fps, codec, crf, audio_from
        self.w: VideoWriter | None = None

    def write(self, stem: str, rgb: np.ndarray) -> None:
        if self.w is None:
            from uhdvd_data.video import VideoWriter

            h, w = rgb.shape[:2]
            if h % 2 or w % 2:
                raise UserError(f"{self.path}: frame size {w}x{h} is odd; write PNGs instead (yuv420p needs even sizes)")
            self.w = VideoWriter(self.path, fps=self.fps, width=w, height=h, codec=self.codec, crf=self.crf,
                                 audio_from=self.audio_from)
        self.w.write(rgb)

    def close(self) -> None:
        if self.w is not None:
            self.w.close()

    def abort(self) -> None:
        """Stop the encoder and remove its temp file; an existing output file is left untouched."""
        if self.w is not None:
            self.w.abort()


def open_sink(out: os.PathLike | str, src: Source, codec: str = "libx264", crf: int | None = 18,
              fps: Fraction | None = None):
    out = Path(out)
    if out.suffix.lower() in VIDEO_OUT_SUFFIXES:
        rate = src.fps or fps or Fraction(30)
        audio = src.path if (src.kind == "video" and src.has_audio) else None
        return VideoSink(out, rate, codec, crf, audio)
    if out.suffix:
        raise file_error(out, f"unknown output type {out.suffix!r}: give a folder or a {'/'.join(VIDEO_OUT_SUFFIXES)} file")
    return PngSink(out)


class SceneCuts:
    """Scene-cut detector on consecutive frames (thumbnail correlation + brightness jump, shared with the
    interpolation stage).  ``threshold <= 0`` disables it."""

    def __init__(self, threshold: float | None = None):
        from uhdvd_data.interp import scenes

        self._scenes = scenes
        self.threshold = scenes.DEFAULT_THRESHOLD if threshold is None else threshold
        self.prev = None

    def __call__(self, rgb: np.ndarray) -> bool:
        if self.threshold <= 0:
            return False
        t = self._scenes.thumbnail(rgb)
        cut = self.prev is not None and self._scenes.compare(self.prev, t, self.threshold).is_cut
        self.prev = t
        return cut


def deblur_stream(deblurrer, input_path, out, codec="libx264", crf=18, fps=None, scene_threshold=None,
                  progress=True) -> dict:
    """Deblur every frame of ``input_path`` into ``out``; returns counters."""
    from tqdm import tqdm

    cuts = SceneCuts(scene_threshold)
    stats = {"frames": 0, "resets": 0}
    with open_source(input_path) as (src, frames):
        sink = open_sink(out, src, codec, crf, fps)
        bar = tqdm(total=src.n_frames, unit="frame", disable=not progress, dynamic_ncols=True,
                   desc=Path(input_path).name)
        ok = False
        try:
            deblurrer.reset()
            size = None
            for stem, rgb in frames:
                if cuts(rgb) or (size is not None and rgb.shape[:2] != size):
                    deblurrer.reset()
                    stats["resets"] += 1
                size = rgb.shape[:2]
                sink.write(stem, deblurrer(rgb))
                stats["frames"] += 1
                bar.update(1)
            sink.close()
            ok = True
        finally:
            bar.close()
            if not ok:
                sink.abort()
    return stats
