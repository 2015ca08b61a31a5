"""On-disk layout of one interpolated clip, shared by `interpolate` (writer) and `synthesize` (reader).

interp/<clip_id>/
    000000.png ...   lossless frames (16-bit PNG when the source is >8-bit); frame i*factor = source frame i
    frames.csv       index,time_s,src_index,segment   (src_index empty for synthesized frames)
    clip.json        provenance (source path + sha256, src fps, factor, out fps, method, weights sha256, version, ...)

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

import numpy as np

from ..common.atomic import write_text
from ..common.errors import file_error
from ..common.images import read_image, write_image

FRAME_PATTERN = "{:06d}.png"
FRAMES_CSV = "frames.csv"
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
    """Writes frames of one clip; `has(i)` lets a resumed run skip frames already on disk."""

    def __init__(self, folder: os.PathLike | str):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.rows: list[FrameRow] = []

    def frame_path(self, index: int) -> Path:
        return self.folder / FRAME_PATTERN.format(index)

    def has(self, index: int) -> bool:
        return self.frame_path(index).is_file()

    def write(self, row: FrameRow, rgb: np.ndarray | None) -> None:
        """Record a frame; `rgb=None` means it is already on disk (resume)."""
        if rgb is not None:
            write_image(self.frame_path(row.index), rgb)
        self.rows.append(row)

    def finish(self, meta: dict) -> None:
        write_text(self.folder / FRAMES_CSV, frames_csv_text(self.rows))
        meta = dict(meta, n_frames=len(self.rows), complete=True)
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

    @property
    def clip_id(self) -> str:
        return self.folder.name

    def __len__(self) -> int:
        return len(self.rows)

    def frame_path(self, index: int) -> Path:
        return self.folder / FRAME_PATTERN.format(index)

    def read(self, index: int) -> np.ndarray:
        return read_image(self.frame_path(index))

    def segments(self) -> list[tuple[int, int]]:
        """(first, last) frame index of each scene segment, inclusive."""
        out: list[tuple[int, int]] = []
        for r in self.rows:
            if out and self.rows[out[-1][1]].segment == r.segment and out[-1][1] == r.index - 1:
                out[-1] = (out[-1][0], r.index)
            else:
                out.append((r.index, r.index))
        return out


def find_clips(root: os.PathLike | str) -> list[Path]:
    """Clip folders (those holding clip.json) directly under `root`, sorted by name."""
    root = Path(root)
    return sorted(p.parent for p in root.glob(f"*/{CLIP_JSON}"))
