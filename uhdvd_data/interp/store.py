"""On-disk layout of one interpolated clip, shared by `interpolate` (writer) and `synthesize` (reader).

interp/<clip_id>/
    000000.png ...   lossless frames (16-bit PNG when the source is >8-bit); frame i*factor = source frame i
    frames.csv       index,time_s,src_index,segment   (src_index empty for synthesized frames)
    clip.json        provenance (source path + sha256, src fps, factor, out fps, method, weights sha256, version, ...)

With `format="ffv1"` the frames are one lossless FFV1 video `frames.mkv` (planar RGB, 8 or 16 bit) instead of PNGs
(see interp.ffv1); `InterpClip.read(i)` / `read_bgr(i)` decode it transparently: consecutive reads decode each frame
once, a jump seeks to the nearest keyframe. Readers (e.g. `synthesize`) go through InterpClip for either format.
An interrupted ffv1 clip cannot be resumed frame by frame: it is redone.

clip.json is written last, atomically: its presence with "complete": true marks a finished clip. Frames are written
atomically one by one, so an interrupted clip can resume from the frames already on disk.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..common.atomic import write_text
from ..common.errors import file_error
from ..common.images import read_image, read_image_bgr, write_image
from .ffv1 import Ffv1Frames, ffv1_writer

if TYPE_CHECKING:
    from ..video.writer import VideoWriter

FRAME_PATTERN = "{:06d}.png"
FRAMES_CSV = "frames.csv"
FFV1_NAME = "frames.mkv"
FORMATS = ("png", "ffv1")
CLIP_JSON = "clip.json"


@dataclass(frozen=True)
class FrameRow:
    index: int
    time_s: float
    src_index: int | None
    segment: int


def frames_csv_text(rows: list[FrameRow]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["index", "time_s", "src_index", "segment"])
    for r in rows:
        w.writerow([r.index, f"{r.time_s:.9f}", "" if r.src_index is None else r.src_index, r.segment])
    return buf.getvalue()


def parse_frames_csv(path: Path) -> list[FrameRow]:
    rows = []
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != ["index", "time_s", "src_index", "segment"]:
            raise file_error(path, "not a frames.csv (expected columns index,time_s,src_index,segment)")
        for r in reader:
            rows.append(
                FrameRow(int(r["index"]), float(r["time_s"]), int(r["src_index"]) if r["src_index"] else None, int(r["segment"]))
            )
    return rows


class InterpClipWriter:
    """Writes frames of one clip; `has(i)` lets a resumed run skip frames already on disk (png format only)."""

    def __init__(self, folder: os.PathLike | str, format: str = "png"):  # noqa: A002 - CLI name
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.rows: list[FrameRow] = []
        if format not in FORMATS:
            raise ValueError(f"unknown frame format {format!r}")
        self.format = format
        self._ffv1: VideoWriter | None = None  # opened on the first frame (its bit depth picks the pixel format)

    def frame_path(self, index: int) -> Path:
        return self.folder / FRAME_PATTERN.format(index)

    def has(self, index: int) -> bool:
        return self.format == "png" and self.frame_path(index).is_file()

    def write(self, row: FrameRow, rgb: np.ndarray | None) -> None:
        """Record a frame; `rgb=None` means it is already on disk (resume, png only)."""
        if self.format == "ffv1":
            if rgb is None:
                raise ValueError("ffv1 output needs every frame")
            if self._ffv1 is None:
                self._ffv1 = ffv1_writer(self.folder / FFV1_NAME, rgb.dtype)
            try:
                self._ffv1.write(rgb)
            except ValueError as e:
                self.abort()
                raise ValueError(f"{self.folder}: all frames of a clip must have the same size and dtype ({e})") from e
        elif rgb is not None:
            write_image(self.frame_path(row.index), rgb)
        self.rows.append(row)

    def abort(self) -> None:
        """Give up an unfinished clip: stop the ffv1 encoder and remove its temp file (png frames stay, for resume)."""
        if self._ffv1 is not None:
            self._ffv1.abort()

    def finish(self, meta: dict) -> None:
        if self._ffv1 is not None:
            self._ffv1.close()
        write_text(self.folder / FRAMES_CSV, frames_csv_text(self.rows))
        meta = dict(meta, n_frames=len(self.rows), complete=True, format=self.format)
        write_text(self.folder / CLIP_JSON, json.dumps(meta, indent=2, sort_keys=True) + "\n")


class InterpClip:
    """Read access to a finished interpolated clip."""

    def __init__(self, folder: os.PathLike | str):
        self.folder = Path(folder)
        meta_path = self.folder / CLIP_JSON
        if not meta_path.is_file():
            raise file_error(self.folder, "not a finished interpolated clip (no clip.json; rerun interpolate)")
        try:
            self.meta: dict = json.loads(meta_path.read_text())
        except json.JSONDecodeError as e:
            raise file_error(meta_path, f"corrupt clip.json ({e.msg})") from e
        if not self.meta.get("complete"):
            raise file_error(self.folder, "interpolation of this clip did not finish (rerun interpolate)")
        self.rows = parse_frames_csv(self.folder / FRAMES_CSV)
        if [r.index for r in self.rows] != list(range(len(self.rows))):
            raise file_error(self.folder / FRAMES_CSV, "frame indices are not 0..N-1 in order")
        self._ffv1: Ffv1Frames | None = None

    @property
    def clip_id(self) -> str:
        return self.folder.name

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def format(self) -> str:
        return self.meta.get("format") or "png"

    def frame_path(self, index: int) -> Path:
        """The PNG of frame `index` (png format), else the clip's frames.mkv."""
        return self.folder / (FFV1_NAME if self.format == "ffv1" else FRAME_PATTERN.format(index))

    def read(self, index: int) -> np.ndarray:
        """Frame `index` as HxWx3 RGB (uint8, or uint16 for 16-bit clips)."""
        if self.format == "ffv1":
            return self._video().read(index, "rgb")
        return read_image(self.frame_path(index))

    def read_bgr(self, index: int) -> np.ndarray:
        """Frame `index` in BGR order (the decoders' native order; saves a copy when only per-channel maths
        follows, as in synthesis)."""
        if self.format == "ffv1":
            return self._video().read(index, "bgr")
        path = self.frame_path(index)
        if not path.is_file():
            raise file_error(path, "missing interpolated frame (rerun interpolate)")
        return read_image_bgr(path)

    def check_video(self, last_index: int) -> tuple[int, int]:
        """ffv1 format: (width, height) of frames.mkv, after checking it holds frames up to `last_index`."""
        video = self._video()
        video.check_has(last_index)
        return video.size()

    def _video(self) -> Ffv1Frames:
        if self._ffv1 is None:
            self._ffv1 = Ffv1Frames(self.folder / FFV1_NAME, len(self.rows))
        return self._ffv1

    def close(self) -> None:
        """Release the ffv1 decoder (reads reopen it)."""
        if self._ffv1 is not None:
            self._ffv1.close()
            self._ffv1 = None

    def __enter__(self) -> InterpClip:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def segments(self) -> list[tuple[int, int]]:
        """(first, last) frame index of each scene segment, inclusive. Rows with a negative segment (frames held
        across a scene cut, see interp.pipeline) belong to no segment and are left out."""
        out: list[tuple[int, int]] = []
        for r in self.rows:
            if r.segment < 0:
                continue
            if out and self.rows[out[-1][1]].segment == r.segment and out[-1][1] == r.index - 1:
                out[-1] = (out[-1][0], r.index)
            else:
                out.append((r.index, r.index))
        return out


def find_clips(root: os.PathLike | str) -> list[Path]:
    """Clip folders (those holding clip.json) directly under `root`, sorted by name."""
    root = Path(root)
    return sorted(p.parent for p in root.glob(f"*/{CLIP_JSON}"))
