"""On-disk layout of one interpolated clip, shared by `interpolate` (writer) and `synthesize` (reader).

interp/<clip_id>/
    000000.png ...   lossless frames (16-bit PNG when the source is >8-bit); frame i*factor = source frame i
    frames.csv       index,time_s,src_index,segment   (src_index empty for synthesized frames)
    clip.json        provenance (source path + sha256, src fps, factor, out fps, method, weights sha256, version, ...)

With `format="ffv1"` the frames are one lossless FFV1 video `frames.mkv` (planar RGB, 8 or 16 bit) instead of PNGs;
`InterpClip.read(i)` decodes it transparently (sequential access is fast, random access re-seeks from the start).
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

import numpy as np

from ..common.atomic import write_text
from ..common.errors import file_error
from ..common.images import read_image, write_image

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


class _Ffv1Pipe:
    """Lossless FFV1 encoding of RGB frames through the ffmpeg binary; the file appears atomically on close()."""

    def __init__(self, path: Path):
        self.path = path
        self.proc = None
        self.tmp: Path | None = None
        self.shape = None

    def write(self, rgb: np.ndarray) -> None:
        import subprocess
        import tempfile

        from ..common.ffmpeg_bin import ffmpeg_exe

        if self.proc is None:
            h, w = rgb.shape[:2]
            self.shape = (rgb.shape, rgb.dtype)
            deep = rgb.dtype == np.uint16
            fd, tmp = tempfile.mkstemp(prefix=".tmp-" + self.path.name + ".", suffix=".mkv", dir=self.path.parent)
            os.close(fd)
            self.tmp = Path(tmp)
            cmd = [ffmpeg_exe(), "-y", "-hide_banner", "-loglevel", "error", "-nostdin", "-f", "rawvideo",
                   "-pix_fmt", "rgb48le" if deep else "rgb24", "-s", f"{w}x{h}", "-framerate", "30", "-i", "pipe:0",
                   "-c:v", "ffv1", "-level", "3", "-pix_fmt", "gbrp16le" if deep else "gbrp", str(self.tmp)]
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if (rgb.shape, rgb.dtype) != self.shape:
            raise ValueError("all frames of a clip must have the same size and dtype")
        data = np.ascontiguousarray(rgb).astype("<u2" if rgb.dtype == np.uint16 else np.uint8, copy=False)
        self.proc.stdin.write(data.tobytes())

    def close(self) -> None:
        if self.proc is None:
            return
        self.proc.stdin.close()
        err = self.proc.stderr.read().decode(errors="replace").strip()
        if self.proc.wait() != 0:
            self.tmp.unlink(missing_ok=True)
            raise file_error(self.path, f"ffv1 encoding failed: {err.splitlines()[-1] if err else 'ffmpeg error'}")
        os.replace(self.tmp, self.path)
        self.proc = None


class InterpClipWriter:
    """Writes frames of one clip; `has(i)` lets a resumed run skip frames already on disk (png format only)."""

    def __init__(self, folder: os.PathLike | str, format: str = "png"):  # noqa: A002 - CLI name
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.rows: list[FrameRow] = []
        if format not in FORMATS:
            raise ValueError(f"unknown frame format {format!r}")
        self.format = format
        self._ffv1 = _Ffv1Pipe(self.folder / FFV1_NAME) if format == "ffv1" else None

    def frame_path(self, index: int) -> Path:
        return self.folder / FRAME_PATTERN.format(index)

    def has(self, index: int) -> bool:
        return self._ffv1 is None and self.frame_path(index).is_file()

    def write(self, row: FrameRow, rgb: np.ndarray | None) -> None:
        """Record a frame; `rgb=None` means it is already on disk (resume, png only)."""
        if self._ffv1 is not None:
            if rgb is None:
                raise ValueError("ffv1 output needs every frame")
            self._ffv1.write(rgb)
        elif rgb is not None:
            write_image(self.frame_path(row.index), rgb)
        self.rows.append(row)

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

    @property
    def clip_id(self) -> str:
        return self.folder.name

    def __len__(self) -> int:
        return len(self.rows)

    def frame_path(self, index: int) -> Path:
        return self.folder / FRAME_PATTERN.format(index)

    def read(self, index: int) -> np.ndarray:
        if self.meta.get("format") == "ffv1":
            return self._read_ffv1(index)
        return read_image(self.frame_path(index))

    def _read_ffv1(self, index: int) -> np.ndarray:
        import av

        if not 0 <= index < len(self.rows):
            raise file_error(self.folder / FFV1_NAME, f"no frame {index}")
        st = getattr(self, "_dec", None)
        if st is None or st[1] > index:
            if st is not None:
                st[0].close()
            c = av.open(str(self.folder / FFV1_NAME))
            st = [c, 0, c.decode(video=0)]
            self._dec = st
        for fr in st[2]:
            i = st[1]
            st[1] += 1
            if i == index:
                return fr.to_ndarray(format="rgb48le" if "16" in fr.format.name else "rgb24")
        raise file_error(self.folder / FFV1_NAME, f"video ends before frame {index} (truncated?)")

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
