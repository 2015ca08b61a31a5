"""Disk pre-flight of `interpolate`, `synthesize` and `build` (#20): files the run will write x a per-file size measured
by encoding a real frame of the input in memory, against the free space of the output folder (common.diskspace).

Counts are upper bounds from the inputs' headers: `interpolate` writes (source frames - 1) x factor + 1 frames per
clip (finished clips count 0, partly done ones their missing frames); `synthesize` and `build` write at most two
images per captured frame (one pair per captured frame, less at clip ends and cuts; pairs already written count 0).
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

from ..common.diskspace import estimate, human, preflight

FFV1_OF_PNG = 0.85  # ffv1 frames.mkv vs PNG, measured on 4K frames (225 vs 265 MB for 20 frames)
ADD_ARGS_HELP = "skip the disk pre-flight (an estimate of what the run writes against the free space)"


def add_space_option(p) -> None:
    p.add_argument("--no-space-check", action="store_true", help=ADD_ARGS_HELP)


def _first_frame(paths: list[Path]):
    """The first decodable frame of the first readable clip (None: none), the sample for the size estimate."""
    from ..common.errors import UserError
    from ..video import open_video

    for path in paths:
        info = _probe(path)
        if info is None:
            continue
        try:
            with open_video(path, info=info) as v:
                for fr in v:
                    return fr.rgb
        except UserError:
            continue
    return None


def _encoded_size(rgb, ext: str, quality: int = 95) -> int:
    from ..common.images import encode_image

    if rgb.dtype != "uint8" and ext in (".jpg", ".jpeg"):
        ext = ".png"  # 16-bit frames cannot be JPEG: the run itself refuses that with its own message
    return len(encode_image(rgb, ext, quality))


def _probe(path: Path):
    """The clip's header, or None when it cannot be read (the run reports that clip itself, e.g. per Ray task)."""
    from ..common.errors import UserError
    from ..video import probe

    try:
        return probe(path, hash=False)
    except UserError:
        return None


def _done_frames(folder: Path, expected: int) -> int:
    """Frames of a clip already in interp/<clip>/ (all of them when it is finished)."""
    try:
        if json.loads((folder / "clip.json").read_text()).get("complete"):
            return expected
    except (OSError, ValueError):
        pass
    return sum(1 for _ in folder.glob("[0-9]" * 6 + ".png")) if folder.is_dir() else 0


def interpolate_space(paths: list[Path], out: str, target: Fraction, fmt: str, skip: bool,
                      infos: dict | None = None) -> str:
    from ..interp import timegrid
    from ..interp.pipeline import clip_id_for, expected_frames

    todo = 0
    for p in paths:
        info = (infos or {}).get(p) or _probe(p)
        if info is None:
            continue
        n = expected_frames(info, timegrid.factor_for(Fraction(info.fps_num, info.fps_den), target))
        todo += max(0, n - _done_frames(Path(out) / clip_id_for(p), n))
    if not todo or not paths:
        return f"disk: nothing left to write into {out}"
    rgb = _first_frame(paths)
    per = _encoded_size(rgb, ".png") * (FFV1_OF_PNG if fmt == "ffv1" else 1.0) if rgb is not None else 0
    hint = "`uhdvd-data build` keeps only the pairs (about 1/10 of the disk)" + \
        ("" if fmt == "ffv1" else "; `--format ffv1` needs ~15 % less")
    return preflight(out, estimate(todo, int(per)), f"{todo} frames of {human(per)}", hint, skip)


def _pairs_space(n_pairs: int, rgb, image_format: str, quality: int, out: str, skip: bool, hint: str) -> str:
    if not n_pairs or rgb is None:
        return f"disk: nothing left to write into {out}"
    per = 2 * _encoded_size(rgb, "." + image_format, quality)
    return preflight(out, estimate(n_pairs, per), f"up to {n_pairs} pairs of {human(per)}", hint, skip)


def synthesize_space(interp_root: str, out: str, image_format: str, quality: int, skip: bool) -> str:
    from ..interp.store import InterpClip

    n_pairs, sample = 0, None
    for folder in sorted(p for p in Path(interp_root).iterdir() if (p / "clip.json").is_file()) \
            if Path(interp_root).is_dir() else []:
        try:
            clip = InterpClip(folder)
        except Exception:  # noqa: BLE001 - synthesize reports unfinished clips itself
            continue
        captured = [r.index for r in clip.rows if r.src_index is not None]
        done = sum(1 for _ in Path(out).glob(f"*/{clip.clip_id}/sharp/*.{image_format}"))
        n_pairs += max(0, len(captured) - done)
        if sample is None and captured:
            sample = clip.read(captured[0])
        clip.close()
    hint = "use --image-format jpg (about 1/5 of the size), or free space"
    return _pairs_space(n_pairs, sample, image_format, quality, out, skip, hint)


def build_space(paths: list[Path], out: str, image_format: str, quality: int, skip: bool) -> str:
    from ..interp.pipeline import clip_id_for

    n_pairs = 0
    for p in paths:
        info = _probe(p)
        done = sum(1 for _ in Path(out).glob(f"*/{clip_id_for(p)}/sharp/*.{image_format}"))
        n_pairs += max(0, ((info.frame_count or 0) if info else 0) - done)
    hint = "use --image-format jpg (about 1/5 of the size), or free space"
    return _pairs_space(n_pairs, _first_frame(paths), image_format, quality, out, skip, hint)
