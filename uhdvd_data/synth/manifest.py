"""Dataset manifest: one CSV row per blur/sharp pair + a JSON sidecar with the full configuration.

Paths in the CSV are relative to the manifest file's folder. Rows are sorted by (clip_id, pair_idx) whatever the job
order, and the CSV is written atomically (temp + rename) once every listed pair's images are complete.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..common.atomic import write_text
from ..common.errors import UserError, file_error

COLUMNS = [
    "clip_id", "split", "pair_idx", "blur_path", "sharp_path", "src_frame", "window", "start_idx", "end_idx",
    "exposure_s", "duty_cycle", "crf", "width", "height", "bit_depth", "src_fps", "out_fps", "interp_method",
    "interp_weights_sha256", "source_path", "source_sha256", "device_model", "noise", "saturation", "seed",
    "blur_sha256", "sharp_sha256", "tool_version", "segment",
    "check_psnr", "check_ssim", "target_sharpness", "target_sharpness_raw", "blur_px_p50", "blur_px_p95",
]
OPTIONAL_COLUMNS = ("check_psnr", "check_ssim", "target_sharpness", "target_sharpness_raw", "blur_px_p50",
                    "blur_px_p95")  # empty when absent (older manifests, imports)
INT_COLUMNS = ("pair_idx", "window", "start_idx", "end_idx", "width", "height", "bit_depth", "seed", "segment")


def sidecar_path(manifest: os.PathLike | str) -> Path:
    return Path(manifest).with_suffix(".json")


def fmt(value) -> str:
    """Deterministic text for a CSV cell (None -> empty, floats with 10 significant digits)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def sort_key(row: dict) -> tuple:
    return (str(row["clip_id"]), int(row["pair_idx"]))


def rows_to_csv(rows: Iterable[dict]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in sorted(rows, key=sort_key):
        w.writerow([fmt(r.get(c)) for c in COLUMNS])
    return buf.getvalue()


def write_manifest(path: os.PathLike | str, rows: Sequence[dict], sidecar: dict) -> None:
    """Write the CSV (atomically) and then its JSON sidecar (atomically)."""
    path = Path(path)
    text = rows_to_csv(rows)
    sidecar = dict(sidecar, columns=COLUMNS, n_rows=len(rows))
    write_text(path, text)
    write_text(sidecar_path(path), json.dumps(sidecar, indent=2, sort_keys=True) + "\n")


def read_manifest(path: os.PathLike | str) -> list[dict]:
    path = Path(path)
    if not path.is_file():
        raise file_error(path, "no such manifest")
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or []) and c not in OPTIONAL_COLUMNS]
        if missing:
            raise file_error(path, f"not a dataset manifest (missing columns: {', '.join(missing[:6])})")
        rows = list(reader)
    for r in rows:  # manifests written before the quality columns existed read as "not measured"
        for c in OPTIONAL_COLUMNS:
            r.setdefault(c, "")
    return rows


def read_sidecar(path: os.PathLike | str) -> dict | None:
    p = sidecar_path(path)
    if not p.is_file():
        return None
    try:
        return json.loads(p.read_text())
    except json.JSONDecodeError as e:
        raise file_error(p, f"corrupt manifest sidecar ({e.msg})") from e


def resolve(manifest: os.PathLike | str, rel: str) -> Path:
    return Path(manifest).parent / rel


def structural_problems(rows: Sequence[dict]) -> list[str]:
    """Duplicate rows/paths, splits sharing clips, non-consecutive pair_idx."""
    problems = []
    seen_pairs: set[tuple[str, str]] = set()
    seen_paths: dict[str, str] = {}
    split_of: dict[str, str] = {}
    for k, r in enumerate(rows):
        where = f"row {k + 2}"
        key = (r["clip_id"], r["pair_idx"])
        if key in seen_pairs:
            problems.append(f"{where}: duplicate pair {r['clip_id']}#{r['pair_idx']}")
        seen_pairs.add(key)
        for col in ("blur_path", "sharp_path"):
            p = r[col]
            if p in seen_paths:
                problems.append(f"{where}: {col} {p} is also used by {seen_paths[p]}")
            else:
                seen_paths[p] = f"{where} {col}"
        prev = split_of.setdefault(r["clip_id"], r["split"])
        if prev != r["split"]:
            problems.append(f"{where}: clip {r['clip_id']} is in both {prev} and {r['split']}")
        if r["split"] not in ("train", "val", "test"):
            problems.append(f"{where}: unknown split {r['split']!r}")
    return problems


def merge_manifests(paths: Sequence[os.PathLike | str], out: os.PathLike | str) -> list[dict]:
    """Merge shard manifests into `out` (paths re-based to out's folder); configs must agree, no duplicates."""
    if not paths:
        raise UserError("merge: give at least one shard manifest")
    out = Path(out)
    rows: list[dict] = []
    config = None
    sidecars = []
    for p in paths:
        sc = read_sidecar(p)
        if sc is None:
            raise file_error(sidecar_path(p), "missing manifest sidecar (needed to check the shards agree)")
        if config is None:
            config = sc.get("config")
        elif sc.get("config") != config:
            diff = sorted(k for k in set(config) | set(sc.get("config", {})) if config.get(k) != sc["config"].get(k))
            raise file_error(p, f"made with a different configuration than {paths[0]} (differs in: {', '.join(diff)})")
        sidecars.append(sc)
        for r in read_manifest(p):
            for col in ("blur_path", "sharp_path"):
                r[col] = Path(os.path.relpath(resolve(p, r[col]), out.parent)).as_posix()
            rows.append(r)
    problems = structural_problems(rows)
    if problems:
        raise UserError(f"merge: {len(problems)} problem(s), first: {problems[0]}")
    skipped: dict = {}
    check_empty: dict = {}
    clips: list[str] = []
    splits: dict[str, str] = {}
    for sc in sidecars:
        for k, v in (sc.get("skipped") or {}).items():
            skipped[k] = sorted(set(skipped.get(k, [])) | set(v)) if isinstance(v, list) else skipped.get(k, 0) + int(v)
        for k, v in ((sc.get("quality") or {}).get("check_empty") or {}).items():
            check_empty[k] = check_empty.get(k, 0) + int(v)
        clips.extend(sc.get("clips") or [])
        splits.update(sc.get("splits") or {})
    base = dict(sidecars[0])
    base.update(config=config, shard=None, skipped=skipped, clips=sorted(set(clips)),
                splits=dict(sorted(splits.items())), merged_from=[str(p) for p in paths])
    if isinstance(base.get("quality"), dict):
        base["quality"] = dict(base["quality"], check_empty=check_empty)
    write_manifest(out, rows, base)
    return rows
