"""Frames of one imported sequence: blur/sharp pairing by name in natural order, header-only sizes, sha256.

Used by `importers` (dataset trees -> manifest). Every problem is one `UserError` line naming the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..common.errors import file_error
from ..common.hashing import sha256_file

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass
class Seq:
    """One sequence of a tree: its blur/sharp folders, and after `check_sequence` its pairs and frame size."""

    split: str
    clip_id: str
    folder: Path  # recorded as source_path
    blur_dir: Path
    sharp_dir: Path
    exts: tuple[str, ...]
    pairs: list[tuple[Path, Path]] = field(default_factory=list)
    size: tuple[int, int, int] = (0, 0, 0)  # width, height, bits per channel


def natural_key(name: str) -> list:
    """'2.png' before '10.png': digit runs compare as numbers (the list alternates str, int, str, ...)."""
    return [int(t) if k % 2 else t.lower() for k, t in enumerate(re.split(r"([0-9]+)", name))]


def frame_info(path: Path) -> tuple[int, int, int]:
    """(width, height, bits per channel) from the file header, without decoding the pixels."""
    with open(path, "rb") as f:
        head = f.read(25)
    if head[:8] == PNG_SIGNATURE and head[12:16] == b"IHDR":
        return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big"), max(8, head[24])
    from PIL import Image

    try:
        with Image.open(path) as im:
            bits = getattr(im, "bits", None) or 8
            tag = getattr(im, "tag_v2", None)  # TIFF: BitsPerSample (Pillow reports 16-bit RGB as mode RGB)
            if tag is not None and tag.get(258):
                b = tag[258]
                bits = max(b) if isinstance(b, tuple) else int(b)
            if im.mode.startswith("I;16"):
                bits = 16
            return im.size[0], im.size[1], max(8, int(bits))
    except (OSError, ValueError, SyntaxError) as e:
        raise file_error(path, f"not a readable image ({e})") from e


def _frames(folder: Path, exts: tuple[str, ...]) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for p in sorted(folder.iterdir()):
        if p.name.startswith(".") or p.suffix.lower() not in exts or not p.is_file():
            continue
        if p.stem in out:
            raise file_error(p, f"two frames named {p.stem!r} in one folder ({out[p.stem].name}, {p.name})")
        out[p.stem] = p
    if not out:
        raise file_error(folder, f"no frames ({', '.join('*' + e for e in exts)})")
    return out


def check_sequence(seq: Seq) -> None:
    """Pair blur/sharp frames by name (stem), in natural order; all frames must share the first blur frame's size."""
    b, s = _frames(seq.blur_dir, seq.exts), _frames(seq.sharp_dir, seq.exts)
    for x, y, xd, yd in ((b, s, seq.blur_dir, seq.sharp_dir), (s, b, seq.sharp_dir, seq.blur_dir)):
        extra = sorted(set(x) - set(y), key=natural_key)
        if extra:
            raise file_error(x[extra[0]], f"no matching frame in {yd} ({xd.name} has {len(x)} frames, "
                                          f"{yd.name} has {len(y)}, {len(extra)} unmatched)")
    seq.pairs = [(b[k], s[k]) for k in sorted(b, key=lambda k: (natural_key(k), k))]
    first = seq.pairs[0][0]
    seq.size = frame_info(first)
    for pair in seq.pairs:
        for p in pair:
            w, h, _ = frame_info(p) if p != first else seq.size
            if (w, h) != seq.size[:2]:
                raise file_error(p, f"{w}x{h}, but {first.name} in {first.parent} is {seq.size[0]}x{seq.size[1]} "
                                    "(all frames of a sequence must have one size)")


def hash_files(paths: list[Path], jobs: int = 1, progress: bool = False) -> list[str]:
    """sha256 of each file, in order (threads: hashlib releases the GIL while hashing)."""
    from joblib import Parallel, delayed
    from tqdm import tqdm

    out: list[str] = []
    with tqdm(total=len(paths), desc="sha256", unit="file", disable=not progress) as bar:
        if jobs == 1:
            results = (sha256_file(p) for p in paths)
        else:
            results = Parallel(n_jobs=jobs, prefer="threads", return_as="generator")(
                delayed(sha256_file)(p) for p in paths)
        for h in results:
            out.append(h)
            bar.update()
    return out


