"""Pair manifests from the folder trees of public deblurring datasets (GoPro, REDS, DVD, 4KRD, generic pairs).

`scan_tree` checks the whole tree (folders, frame names, frame sizes) and raises one `UserError` line on the first
problem, before anything is hashed or written. `import_tree` then hashes the frames and writes a manifest with the
columns of `uhdvd-data synthesize` (synthesis-only columns left empty, `interp_method` = `import:<format>`).
"""

from __future__ import annotations

import os
from pathlib import Path

from .. import __version__
from ..common.errors import UserError, file_error
from .manifest import read_sidecar, write_manifest
from .pairing import Seq, check_sequence, hash_files, natural_key

FORMATS = ("gopro", "reds", "dvd", "4krd", "pairs")
SPLITS = ("train", "val", "test")
BLUR_CHOICES = {"gopro": ("blur", "blur_gamma"), "reds": ("blur", "blur_comp")}
OPTIONAL_SPLIT = ("4krd", "pairs")  # trees whose train/val/test level is optional (--split otherwise)
DVD_SPLITS = {"train": "train", "training": "train", "val": "val", "test": "test", "testing": "test"}
PNG, JPG, ANY = (".png",), (".jpg", ".jpeg", ".png"), (".png", ".jpg", ".jpeg", ".tif", ".tiff")
LAYOUTS = {
    "gopro": "GOPRO_Large/{train,test}/<seq>/{blur,blur_gamma,sharp}/*.png",
    "reds": "{train,val}_blur[_comp]/<seq>/*.png + {train,val}_sharp/<seq>/*.png",
    "dvd": "{train,val,test}/<seq>/{input,GT}/*.jpg",
    "4krd": "[{train,val,test}/]<VID>/{blurry,sharp}/*.jpg",
    "pairs": "[{train,val,test}/]<clip>/{blur,sharp}/*.{png,jpg,tif}",
}


def _subdirs(folder: Path) -> list[Path]:
    return sorted((p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")),
                  key=lambda p: natural_key(p.name))


def _child(folder: Path, name: str) -> Path | None:
    """Subfolder `name` of `folder`, matched in any case."""
    return next((p for p in _subdirs(folder) if p.name.lower() == name.lower()), None)


def _seq_dirs(folder: Path, fmt: str) -> list[Path]:
    dirs = _subdirs(folder)
    if not dirs:
        raise file_error(folder, f"no sequence folders (expected {LAYOUTS[fmt]})")
    return dirs


def _seq(split: str, folder: Path, blur: str, sharp: str, exts: tuple[str, ...]) -> Seq:
    found = {name: _child(folder, name) for name in (blur, sharp)}
    for name, d in found.items():
        if d is None:
            raise file_error(folder, f"no {name!r} folder")
    return Seq(split, folder.name, folder, found[blur], found[sharp], exts)


def _scan_gopro(root: Path, blur: str) -> list[Seq]:
    root = _child(root, "GOPRO_Large") or root
    splits = [(s, d) for s in ("train", "test") if (d := _child(root, s))]
    if not splits:
        raise file_error(root, f"no 'train' or 'test' folder (expected {LAYOUTS['gopro']})")
    return [_seq(s, d, blur, "sharp", PNG) for s, sd in splits for d in _seq_dirs(sd, "gopro")]


def _find_reds(root: Path, name: str, split: str) -> Path | None:
    """REDS zips unpack as <split>/<split>_blur/...; accept that and the flat <split>_blur/... layout."""
    nested = _child(root, split)
    return _child(root, name) or (nested and _child(nested, name))


def _scan_reds(root: Path, blur: str) -> list[Seq]:
    seqs: list[Seq] = []
    for split in ("train", "val"):
        broot = _find_reds(root, f"{split}_{blur}", split)
        if broot is None:
            continue
        sroot = _find_reds(root, f"{split}_sharp", split)
        for d in _seq_dirs(broot, "reds"):
            sd = _child(sroot, d.name) if sroot else None
            if sd is None:
                raise file_error(d, f"no matching '{split}_sharp/{d.name}' folder")
            # REDS numbers train and val sequences alike (000, 001, ...): the split keeps clip ids unique.
            seqs.append(Seq(split, f"{split}_{d.name}", d, d, sd, PNG))
    if not seqs:
        other = "blur_comp" if blur == "blur" else "blur"
        hint = next((f" (found '{s}_{other}': use --blur {other})" for s in ("train", "val")
                     if _find_reds(root, f"{s}_{other}", s)), "")
        raise file_error(root, f"no 'train_{blur}' or 'val_{blur}' folder{hint} (expected {LAYOUTS['reds']})")
    return seqs


def _scan_dvd(root: Path) -> list[Seq]:
    splits = [(DVD_SPLITS[d.name.lower()], d) for d in _subdirs(root) if d.name.lower() in DVD_SPLITS]
    if not splits:
        raise file_error(root, f"no 'train', 'val' or 'test' folder (expected {LAYOUTS['dvd']})")
    return [_seq(s, d, "input", "GT", JPG) for s, sd in splits for d in _seq_dirs(sd, "dvd")]


def _scan_clips(root: Path, fmt: str, split: str | None) -> tuple[list[Seq], bool]:
    blur, exts = ("blurry", JPG) if fmt == "4krd" else ("blur", ANY)
    dirs = _subdirs(root)
    split_dirs = [d for d in dirs if d.name.lower() in SPLITS]
    if split_dirs:
        if split is not None:
            raise file_error(root, "has train/val/test folders: --split only applies to trees without them")
        other = [d for d in dirs if d not in split_dirs]
        if other:
            raise file_error(other[0], f"unexpected folder next to train/val/test (expected {LAYOUTS[fmt]})")
        groups = [(d.name.lower(), _seq_dirs(d, fmt)) for d in split_dirs]
    elif not dirs:
        raise file_error(root, f"no clip folders (expected {LAYOUTS[fmt]})")
    else:
        groups = [(split or "train", dirs)]
    return [_seq(s, d, blur, "sharp", exts) for s, ds in groups for d in ds], bool(split_dirs)


def scan_tree(fmt: str, root: os.PathLike | str, blur: str | None = None,
              split: str | None = None) -> tuple[list[Seq], dict]:
    """All sequences of the tree, checked and paired.

    Returns (sequences, info): info["blur"] is the blurry folder used, info["split_level"] whether the tree has
    train/val/test folders, info["split"] the split given to every clip when it has none (4krd, pairs).
    """
    if fmt not in FORMATS:
        raise UserError(f"format must be one of {', '.join(FORMATS)} (got {fmt!r})")
    if blur is not None and blur not in BLUR_CHOICES.get(fmt, ()):
        allowed = ", ".join(f"{k}: {'|'.join(v)}" for k, v in BLUR_CHOICES.items())
        raise UserError(f"--blur {blur} does not apply to {fmt} ({allowed})")
    if split is not None and fmt not in OPTIONAL_SPLIT:
        raise UserError(f"--split only applies to {' and '.join(OPTIONAL_SPLIT)} (the {fmt} layout names its splits)")
    root = Path(root)
    if not root.is_dir():
        raise file_error(root, "no such folder" if not root.exists() else "not a folder")
    blur = blur or {"dvd": "input", "4krd": "blurry"}.get(fmt, "blur")
    split_level = True
    if fmt == "gopro":
        seqs = _scan_gopro(root, blur)
    elif fmt == "reds":
        seqs = _scan_reds(root, blur)
    elif fmt == "dvd":
        seqs = _scan_dvd(root)
    else:
        seqs, split_level = _scan_clips(root, fmt, split)
    seen: dict[str, Seq] = {}
    for q in seqs:
        if q.clip_id in seen:
            raise file_error(q.folder, f"sequence name {q.clip_id!r} is also used by {seen[q.clip_id].folder} "
                                       "(clip ids must be unique across splits)")
        seen[q.clip_id] = q
    for q in seqs:
        check_sequence(q)
    return seqs, {"blur": blur, "split_level": split_level, "split": None if split_level else split or "train"}


def _rel(p: Path, base: str) -> str:
    """Path relative to the manifest folder (absolute where no relative path exists, e.g. another drive)."""
    a = os.path.abspath(p)
    try:
        return Path(os.path.relpath(a, base)).as_posix()
    except ValueError:
        return Path(a).as_posix()


def manifest_rows(seqs: list[Seq], fmt: str, manifest: os.PathLike | str, hashes: list[str] | None = None) -> list[dict]:
    """Rows keyed by manifest COLUMNS; `hashes` lists blur, sharp sha256 pair after pair (None: empty cells)."""
    base = os.path.abspath(Path(manifest).parent)
    rows, k = [], 0
    for q in seqs:
        for i, (b, s) in enumerate(q.pairs):
            rows.append({
                "clip_id": q.clip_id, "split": q.split, "pair_idx": i, "blur_path": _rel(b, base),
                "sharp_path": _rel(s, base), "width": q.size[0], "height": q.size[1], "bit_depth": q.size[2],
                "interp_method": f"import:{fmt}", "source_path": _rel(q.folder, base), "tool_version": __version__,
                "blur_sha256": hashes[k] if hashes else None, "sharp_sha256": hashes[k + 1] if hashes else None,
            })
            k += 2
    return rows


def import_tree(fmt: str, root: os.PathLike | str, out: os.PathLike | str, blur: str | None = None,
                split: str | None = None, hashes: bool = True, jobs: int = 1, progress: bool = False) -> dict:
    """Scan, hash and write the manifest `out` (+ JSON sidecar); returns a summary for the CLI."""
    if jobs < 1:
        raise UserError(f"--jobs must be >= 1 (got {jobs})")
    seqs, info = scan_tree(fmt, root, blur, split)
    old = read_sidecar(out) if Path(out).is_file() else None
    if Path(out).is_file() and not (old and old.get("source") == "import" and old.get("format") == fmt):
        made = "synthesize" if old and old.get("source") != "import" else "another command or import"
        raise file_error(out, f"already holds a manifest made by {made}; importing {fmt} would overwrite it "
                         f"(choose another --out)")
    files = [p for q in seqs for pair in q.pairs for p in pair]
    digests = hash_files(files, jobs, progress) if hashes else None
    rows = manifest_rows(seqs, fmt, out, digests)
    splits: dict[str, dict[str, int]] = {}
    for s in SPLITS:
        qs = [q for q in seqs if q.split == s]
        if qs:
            splits[s] = {"clips": len(qs), "pairs": sum(len(q.pairs) for q in qs)}
    write_manifest(out, rows, {
        "source": "import", "format": fmt, "root": os.path.abspath(root), "blur": info["blur"], "splits": splits,
        "hashed": hashes, "clips": sorted(q.clip_id for q in seqs), "tool_version": __version__,
    })
    return {"format": fmt, "out": str(out), "pairs": len(rows), "splits": splits, **info}
