"""Per-clip split assignment (deterministic, seeded) and --splits FILE.csv.

Rule: clips are ranked by sha256("<seed>:<clip_id>"). The last round(n * (1 - split_ratio)) clips of that ranking
go to `test` (at least one when there are >= 2 clips and split_ratio < 1), the first round(n * val_ratio) go to `val`
(at least one when val_ratio > 0 and >= 3 clips), the rest to `train`. A clip's rank depends only on its id and the
seed, so every shard of a sharded run computes the same assignment.
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Sequence

from ..common.errors import UserError, file_error

SPLITS = ("train", "val", "test")


def assign_splits(clip_ids: Sequence[str], split_ratio: float = 0.9, val_ratio: float = 0.0, seed: int = 0) -> dict[str, str]:
    if not 0.0 <= split_ratio <= 1.0:
        raise UserError(f"--split-ratio must be within [0, 1] (got {split_ratio})")
    if not 0.0 <= val_ratio <= split_ratio:
        raise UserError(f"--val-ratio must be within [0, --split-ratio] (got {val_ratio})")
    ids = sorted(set(clip_ids))
    n = len(ids)
    ranked = sorted(ids, key=lambda c: hashlib.sha256(f"{seed}:{c}".encode()).hexdigest())
    n_test = int(round(n * (1.0 - split_ratio) + 1e-9))
    if n >= 2 and split_ratio < 1.0:
        n_test = max(n_test, 1)
    n_val = int(round(n * val_ratio + 1e-9))
    if val_ratio > 0 and n >= 3:
        n_val = max(n_val, 1)
    n_val = min(n_val, n - n_test)
    out = {}
    for k, c in enumerate(ranked):
        out[c] = "test" if k >= n - n_test else ("val" if k < n_val else "train")
    return out


def read_splits(path: os.PathLike | str, clip_ids: Sequence[str]) -> dict[str, str]:
    """clip_id,split CSV (header optional). Every clip must be listed; unknown split names are errors."""
    if not os.path.isfile(path):
        raise file_error(path, "no such splits file")
    table: dict[str, str] = {}
    with open(path, newline="") as f:
        for k, row in enumerate(csv.reader(f)):
            if not row or row[0].startswith("#"):
                continue
            if k == 0 and [c.strip().lower() for c in row[:2]] == ["clip_id", "split"]:
                continue
            if len(row) < 2:
                raise file_error(path, f"line {k + 1}: expected 'clip_id,split'")
            clip, split = row[0].strip(), row[1].strip().lower()
            if split not in SPLITS:
                raise file_error(path, f"line {k + 1}: unknown split {split!r} (use train, val or test)")
            if clip in table and table[clip] != split:
                raise file_error(path, f"clip {clip!r} is listed twice with different splits")
            table[clip] = split
    missing = [c for c in clip_ids if c not in table]
    if missing:
        raise file_error(path, f"no split given for {len(missing)} clip(s): {', '.join(missing[:5])}")
    return {c: table[c] for c in clip_ids}


def shard_clips(clip_ids: Sequence[str], shard: tuple[int, int] | None) -> list[str]:
    """Clips handled by shard i of n: every n-th clip of the sorted list, starting at i (0-based)."""
    ids = sorted(clip_ids)
    if shard is None:
        return ids
    i, n = shard
    return ids[i::n]


def parse_shard(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    try:
        i, n = (int(p) for p in text.split("/"))
    except ValueError as e:
        raise UserError(f"--shard must look like i/n, e.g. 0/4 (got {text!r})") from e
    if n < 1 or not 0 <= i < n:
        raise UserError(f"--shard i/n needs 0 <= i < n (got {text!r})")
    return i, n
