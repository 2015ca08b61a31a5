"""Export a manifest's pairs as the folder trees other ecosystems expect (hard links, copies as a fallback).

- gopro:   OUT/<split>/<clip>/{blur,sharp}/%06d.png                       (GOPRO_Large layout)
- reds:    OUT/<split>_blur/<clip>/%08d.png, OUT/<split>_sharp/<clip>/%08d.png   (REDS layout)
- basicsr: OUT/<split>/{blur,sharp}/<clip>/%08d.png + OUT/meta_info_<split>.txt ("<clip> <n> (h,w,c)" per line,
           like BasicSR's REDS meta_info) + OUT/meta_info_<split>_pairs.txt ("<clip>/%08d.png" per line)
File names use pair_idx (consecutive in time), extensions are kept.
"""

from __future__ import annotations

import os
import shutil
from collections import defaultdict
from pathlib import Path

from ..common.atomic import write_text
from ..common.errors import UserError
from .manifest import read_manifest, resolve

FORMATS = ("gopro", "reds", "basicsr")


def link_or_copy(src: Path, dst: Path) -> str:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists():
        if os.path.samefile(src, dst):
            return "kept"
        dst.unlink()
    try:
        os.link(src, dst)
        return "linked"
    except OSError:
        shutil.copy2(src, dst)
        return "copied"


def export_manifest(manifest: os.PathLike | str, fmt: str, out: os.PathLike | str) -> dict:
    if fmt not in FORMATS:
        raise UserError(f"--format must be one of {', '.join(FORMATS)} (got {fmt!r})")
    manifest, out = Path(manifest), Path(out)
    rows = read_manifest(manifest)
    counts: dict[str, int] = defaultdict(int)
    per_clip: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in rows:
        per_clip[(r["split"], r["clip_id"])].append(r)
    for (split, clip), rs in sorted(per_clip.items()):
        for r in rs:
            i = int(r["pair_idx"])
            for kind in ("blur", "sharp"):
                src = resolve(manifest, r[f"{kind}_path"])
                if not src.is_file():
                    raise UserError(f"{src}: listed in {manifest} but missing (run `uhdvd-data verify`)")
                ext = src.suffix
                if fmt == "gopro":
                    dst = out / split / clip / kind / f"{i:06d}{ext}"
                elif fmt == "reds":
                    dst = out / f"{split}_{kind}" / clip / f"{i:08d}{ext}"
                else:
                    dst = out / split / kind / clip / f"{i:08d}{ext}"
                counts[link_or_copy(src, dst)] += 1
    if fmt == "basicsr":
        by_split: dict[str, list[str]] = defaultdict(list)
        pairs: dict[str, list[str]] = defaultdict(list)
        for (split, clip), rs in sorted(per_clip.items()):
            r0 = rs[0]
            by_split[split].append(f"{clip} {len(rs)} ({r0['height']},{r0['width']},3)")
            ext = Path(r0["blur_path"]).suffix
            pairs[split].extend(f"{clip}/{int(r['pair_idx']):08d}{ext}" for r in sorted(rs, key=lambda r: int(r["pair_idx"])))
        for split in by_split:
            write_text(out / f"meta_info_{split}.txt", "\n".join(by_split[split]) + "\n")
            write_text(out / f"meta_info_{split}_pairs.txt", "\n".join(pairs[split]) + "\n")
    return {"pairs": len(rows), **counts}
