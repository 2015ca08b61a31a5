"""Read and validate a pair manifest (`manifests/4krd.csv` from `uhdvd-data synthesize`).

Everything is checked before training starts: required columns, values, and that every image file exists. The first
problem found raises one `UserError` naming the manifest, the data row (1-based, header not counted) and the column.
Paths in the manifest are relative to the manifest's folder.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path

from uhdvd_data.common.errors import UserError, file_error

REQUIRED = ("clip_id", "split", "pair_idx", "blur_path", "sharp_path")
SPLITS = ("train", "val", "test")


@dataclass
class Clip:
    """A run of consecutive pairs of one clip (pair_idx without gaps), in time order."""

    clip_id: str
    split: str
    blur: list[Path] = field(default_factory=list)
    sharp: list[Path] = field(default_factory=list)
    first_idx: int = 0
    rows: list[int] = field(default_factory=list)  # manifest row numbers, for messages

    def __len__(self) -> int:
        return len(self.blur)

    @property
    def name(self) -> str:
        return self.clip_id if self.first_idx == 0 else f"{self.clip_id}@{self.first_idx}"


def _row_error(path: Path, row: int, column: str, cause: str) -> UserError:
    return file_error(path, f"row {row}, column {column!r}: {cause}")


def read_manifest(path: os.PathLike | str, check_files: bool = True) -> list[Clip]:
    """Return all clips of the manifest (every split), split at gaps in pair_idx, sorted by clip_id then time."""
    path = Path(path)
    if not path.is_file():
        raise file_error(path, "no such manifest file (run `uhdvd-data synthesize` first, or pass --manifest)")
    base = path.parent
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            header = reader.fieldnames or []
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                raise file_error(path, f"missing column {missing[0]!r} (needs {', '.join(REQUIRED)})")
            raw = list(reader)
    except (UnicodeDecodeError, csv.Error) as e:
        raise file_error(path, f"not a readable CSV manifest ({e})") from e
    if not raw:
        raise file_error(path, "the manifest has no rows")

    by_clip: dict[str, list[tuple[int, int, Path, Path]]] = {}
    split_of: dict[str, tuple[str, int]] = {}
    for n, rec in enumerate(raw, start=1):
        for col in REQUIRED:
            if rec.get(col) is None or str(rec[col]).strip() == "":
                raise _row_error(path, n, col, "empty value")
        clip_id = rec["clip_id"].strip()
        split = rec["split"].strip()
        if split not in SPLITS:
            raise _row_error(path, n, "split", f"{split!r} is not one of {', '.join(SPLITS)}")
        if clip_id in split_of and split_of[clip_id][0] != split:
            raise _row_error(path, n, "split", f"clip {clip_id!r} is {split_of[clip_id][0]!r} in row "
                             f"{split_of[clip_id][1]} but {split!r} here")
        split_of.setdefault(clip_id, (split, n))
        try:
            idx = int(rec["pair_idx"])
            if idx < 0:
                raise ValueError
        except ValueError:
            raise _row_error(path, n, "pair_idx", f"{rec['pair_idx']!r} is not a non-negative integer") from None
        files = []
        for col in ("blur_path", "sharp_path"):
            p = Path(rec[col].strip())
            p = p if p.is_absolute() else base / p
            if check_files and not p.is_file():
                raise _row_error(path, n, col, f"file not found: {os.path.normpath(p)}")
            files.append(p)
        by_clip.setdefault(clip_id, []).append((idx, n, files[0], files[1]))

    clips: list[Clip] = []
    for clip_id in sorted(by_clip):
        items = sorted(by_clip[clip_id])
        seen: dict[int, int] = {}
        cur: Clip | None = None
        prev_idx = None
        for idx, n, b, s in items:
            if idx in seen:
                raise _row_error(path, n, "pair_idx", f"pair {idx} of clip {clip_id!r} is also in row {seen[idx]}")
            seen[idx] = n
            if cur is None or idx != prev_idx + 1:
                cur = Clip(clip_id, split_of[clip_id][0], first_idx=idx)
                clips.append(cur)
            cur.blur.append(b)
            cur.sharp.append(s)
            cur.rows.append(n)
            prev_idx = idx
    return clips


def clips_of(clips: list[Clip], split: str) -> list[Clip]:
    """Clips of one split; 'all' gives every clip."""
    return list(clips) if split == "all" else [c for c in clips if c.split == split]


def choose_validation(clips: list[Clip], fraction: float = 0.1, seed: int = 0) -> tuple[list[Clip], list[Clip], str]:
    """(train clips, validation clips, where validation came from).

    The manifest's `val` split when present, else its `test` split, else a seeded held-out fraction of the training
    clips (at least one clip when there are two or more; nothing when there is only one).
    """
    import random

    train = clips_of(clips, "train")
    for split in ("val", "test"):
        held = clips_of(clips, split)
        if held:
            return train, held, f"the manifest's {split!r} split ({len(held)} clips)"
    ids = sorted({c.clip_id for c in train})
    if len(ids) < 2 or fraction <= 0:
        return train, [], "none (the manifest has no val/test split and too few train clips to hold one out)"
    n_hold = max(1, round(len(ids) * fraction))
    hold = set(random.Random(seed).sample(ids, n_hold))
    return ([c for c in train if c.clip_id not in hold], [c for c in train if c.clip_id in hold],
            f"{n_hold} held-out train clip(s): {', '.join(sorted(hold))}")
