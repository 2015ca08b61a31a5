"""Read and validate pair manifests (`manifests/4krd.csv` from `uhdvd-data synthesize`, or `uhdvd-data import`).

Everything is checked before training starts: required columns, values, and that every image file exists. The first
problem found raises one `UserError` naming the manifest, the data row (1-based, header not counted) and the column.
Paths in the manifest are relative to the manifest's folder. Several manifests can be read together
(`read_manifests`): their clips keep their manifest's name as `source`, and clip ids are prefixed with it
(`gopro/GOPR0372_07_00`) so two datasets never share a clip id.

Validation never uses the `test` split: it is the manifest's `val` split, or, for a manifest without one, a seeded
held-out fraction of its `train` clips (`choose_validation`).
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

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
    source: str = ""  # the manifest's name (file stem) it came from

    def __len__(self) -> int:
        return len(self.blur)

    @property
    def name(self) -> str:
        return self.clip_id if self.first_idx == 0 else f"{self.clip_id}@{self.first_idx}"


def _row_error(path: Path, row: int, column: str, cause: str) -> UserError:
    return file_error(path, f"row {row}, column {column!r}: {cause}")


def load_table(path: os.PathLike | str) -> pd.DataFrame:
    """The manifest as a DataFrame of strings (empty cells are ''), with its required columns checked."""
    path = Path(path)
    if not path.is_file():
        raise file_error(path, "no such manifest file (run `uhdvd-data synthesize` first, or pass --manifest)")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError) as e:
        raise file_error(path, f"not a readable CSV manifest ({str(e).splitlines()[0]})") from e
    except pd.errors.EmptyDataError:
        raise file_error(path, "the manifest is empty") from None
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise file_error(path, f"missing column {missing[0]!r} (needs {', '.join(REQUIRED)})")
    if df.empty:
        raise file_error(path, "the manifest has no rows")
    return df


def _check_cells(path: Path, df: pd.DataFrame) -> pd.DataFrame:
    """Strip cells, check emptiness, splits, one split per clip, pair_idx; return with an int `idx` and `row`."""
    df = df.copy()
    df["row"] = range(1, len(df) + 1)
    for col in REQUIRED:
        df[col] = df[col].str.strip()
        empty = df.index[df[col] == ""]
        if len(empty):
            raise _row_error(path, int(df.at[empty[0], "row"]), col, "empty value")
    bad = df.index[~df["split"].isin(SPLITS)]
    if len(bad):
        r = df.loc[bad[0]]
        raise _row_error(path, int(r["row"]), "split", f"{r['split']!r} is not one of {', '.join(SPLITS)}")
    first_split = df.groupby("clip_id", sort=False)["split"].transform("first")
    first_row = df.groupby("clip_id", sort=False)["row"].transform("first")
    bad = df.index[df["split"] != first_split]
    if len(bad):
        r = df.loc[bad[0]]
        raise _row_error(path, int(r["row"]), "split", f"clip {r['clip_id']!r} is {first_split[bad[0]]!r} in row "
                         f"{first_row[bad[0]]} but {r['split']!r} here")
    idx = pd.to_numeric(df["pair_idx"], errors="coerce")
    bad = df.index[idx.isna() | (idx < 0) | (idx % 1 != 0)]
    if len(bad):
        r = df.loc[bad[0]]
        raise _row_error(path, int(r["row"]), "pair_idx", f"{r['pair_idx']!r} is not a non-negative integer")
    df["idx"] = idx.astype(int)
    dup = df.index[df.duplicated(["clip_id", "idx"], keep="first")]
    if len(dup):
        r = df.loc[dup[0]]
        other = df[(df["clip_id"] == r["clip_id"]) & (df["idx"] == r["idx"])]["row"].iloc[0]
        raise _row_error(path, int(r["row"]), "pair_idx",
                         f"pair {r['idx']} of clip {r['clip_id']!r} is also in row {other}")
    return df


def read_manifest(path: os.PathLike | str, check_files: bool = True, prefix: str = "") -> list[Clip]:
    """All clips of the manifest (every split), split at gaps in pair_idx, sorted by clip_id then time.

    `prefix` is prepended to clip ids (`read_manifests` uses the manifest's name when mixing several).
    """
    path = Path(path)
    df = _check_cells(path, load_table(path))
    base = path.parent
    for col in ("blur_path", "sharp_path"):
        df[col] = [Path(p) if os.path.isabs(p) else base / p for p in df[col]]
        if check_files:
            for p, row in zip(df[col], df["row"]):
                if not p.is_file():
                    raise _row_error(path, int(row), col, f"file not found: {os.path.normpath(p)}")
    clips: list[Clip] = []
    for clip_id, g in df.sort_values(["clip_id", "idx"], kind="stable").groupby("clip_id", sort=True):
        run = (g["idx"].diff() != 1).cumsum()  # a new run at every gap in pair_idx
        for _, part in g.groupby(run, sort=True):
            clips.append(Clip(prefix + str(clip_id), str(part["split"].iloc[0]), list(part["blur_path"]),
                              list(part["sharp_path"]), int(part["idx"].iloc[0]), [int(r) for r in part["row"]],
                              source=path.stem))
    return clips


def read_manifests(paths: list[os.PathLike | str], check_files: bool = True) -> list[Clip]:
    """Clips of several manifests; with more than one, clip ids are prefixed `<manifest stem>/`."""
    stems = [Path(p).stem for p in paths]
    if len(set(stems)) != len(stems):
        dup = next(s for s in stems if stems.count(s) > 1)
        raise UserError(f"two manifests are both named {dup!r}; give each dataset its own file name")
    many = len(paths) > 1
    out: list[Clip] = []
    for p, stem in zip(paths, stems):
        out += read_manifest(p, check_files, prefix=f"{stem}/" if many else "")
    return out


def clips_of(clips: list[Clip], split: str) -> list[Clip]:
    """Clips of one split; 'all' gives every clip."""
    return list(clips) if split == "all" else [c for c in clips if c.split == split]


def split_table(clips: list[Clip]) -> pd.DataFrame:
    """Per source and split: clips, pairs (for the training log)."""
    df = pd.DataFrame([{"source": c.source, "split": c.split, "clip": c.clip_id, "pairs": len(c)} for c in clips])
    if df.empty:
        return df
    return df.groupby(["source", "split"]).agg(clips=("clip", "nunique"), pairs=("pairs", "sum")).reset_index()


def choose_validation(clips: list[Clip], fraction: float = 0.1, seed: int = 0) -> tuple[list[Clip], list[Clip], str]:
    """(train clips, validation clips, where validation came from). Never the `test` split.

    Per source manifest: its `val` split when it has one, else a seeded held-out `fraction` of its `train` clips (at
    least one clip when it has two or more; none when it has one, or when fraction is 0).
    """
    train_all = clips_of(clips, "train")
    train: list[Clip] = []
    val: list[Clip] = []
    said: list[str] = []
    for source in dict.fromkeys(c.source for c in clips):
        own_train = [c for c in train_all if c.source == source]
        own_val = [c for c in clips_of(clips, "val") if c.source == source]
        label = f"{source}: " if source else ""
        if own_val:
            ids = sorted({c.clip_id for c in own_val})
            train += own_train
            val += own_val
            said.append(f"{label}the 'val' split ({len(ids)} clip(s): {', '.join(ids)})")
            continue
        ids = sorted({c.clip_id for c in own_train})
        if len(ids) < 2 or fraction <= 0:
            train += own_train
            why = "--val-fraction 0" if fraction <= 0 else "fewer than two train clips to hold one out"
            said.append(f"{label}none (no 'val' split and {why}; the 'test' split is never used)")
            continue
        hold = set(random.Random(seed).sample(ids, max(1, round(len(ids) * fraction))))
        train += [c for c in own_train if c.clip_id not in hold]
        val += [c for c in own_train if c.clip_id in hold]
        said.append(f"{label}{len(hold)} held-out train clip(s): {', '.join(sorted(hold))}")
    return train, val, "; ".join(said)
