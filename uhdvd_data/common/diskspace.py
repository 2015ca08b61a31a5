"""Disk pre-flight: estimate what a run will write, compare it with the free space, and refuse before the first frame.

`estimate(n_files, sample_bytes)` is files x a per-file size measured by encoding a real frame of the input in memory
(x 1.1 for frame-to-frame variation); `preflight(folder, need, what, hint)` returns the start-up line or raises one
UserError naming the folder, the estimate and the free space, with what would fit. A disk that fills up anyway
mid-run is reported by `atomic.atomic_open` as one line naming the file and the free space; resume works as usual.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .errors import UserError

MARGIN = 1.1  # frames vary in size; the estimate is per frame of the first clip
RESERVE = 256 * 2**20  # leave this much free for everything else on the machine


def human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


def free_bytes(folder: os.PathLike | str) -> int:
    """Free space of the file system `folder` is (or will be) on: its nearest existing ancestor's."""
    p = Path(folder).absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    return shutil.disk_usage(p).free


def estimate(n_files: int, sample_bytes: int) -> int:
    return int(n_files * sample_bytes * MARGIN)


def preflight(folder: os.PathLike | str, need: int, what: str, hint: str = "", skip: bool = False) -> str:
    """One start-up line with the estimate; raises UserError when `need` (+ a small reserve) does not fit."""
    free = free_bytes(folder)
    line = f"disk: {what} ~{human(need)} into {folder} ({human(free)} free)"
    if not skip and need + RESERVE > free:
        fits = max(0.0, (free - RESERVE) / need) if need else 1.0
        raise UserError(f"{folder}: not enough disk space: {what} needs ~{human(need)}, {human(free)} free "
                        f"(about {fits:.0%} of it fits){'; ' + hint if hint else ''}; --no-space-check skips this")
    return line
