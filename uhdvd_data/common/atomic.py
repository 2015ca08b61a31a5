"""Atomic file writes: write to a temp file in the same folder, fsync, then rename over the target."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

TMP_PREFIX = ".tmp-"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def temp_beside(path: Path, suffix: str = "") -> tuple[int, str]:
    """(fd, name) of a new temp file next to `path` with the usual permissions (mkstemp alone gives 0600)."""
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX + path.name + ".", suffix=suffix, dir=path.parent)
    os.fchmod(fd, 0o666 & ~_umask())
    return fd, tmp


@contextlib.contextmanager
def atomic_open(path: os.PathLike | str, mode: str = "wb", fsync: bool = True) -> Iterator[IO]:
    """Open a temp file beside `path`; on clean exit it replaces `path`, on error it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = temp_beside(path)
    try:
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            if fsync:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(e, OSError) and e.errno == errno.ENOSPC:
            raise _disk_full(path) from None
        raise


def _disk_full(path: Path) -> Exception:
    """One line naming the file and the free space (the run resumes once space is freed)."""
    from .diskspace import free_bytes, human
    from .errors import file_error

    return file_error(path, f"no space left on the device while writing it ({human(free_bytes(path.parent))} free); "
                      f"free some space and rerun the same command: finished files are kept")


def write_bytes(path: os.PathLike | str, data: bytes, fsync: bool = False) -> None:
    """Atomically write bytes. fsync is off by default for bulk frame output (rename is still atomic)."""
    with atomic_open(path, "wb", fsync=fsync) as f:
        f.write(data)


def write_text(path: os.PathLike | str, text: str, fsync: bool = True) -> None:
    with atomic_open(path, "w", fsync=fsync) as f:
        f.write(text)


def clean_temp_files(folder: os.PathLike | str) -> int:
    """Remove leftovers of interrupted atomic writes below `folder`; returns how many were removed."""
    n = 0
    for p in Path(folder).rglob(TMP_PREFIX + "*"):
        if p.is_file():
            p.unlink()
            n += 1
    return n
