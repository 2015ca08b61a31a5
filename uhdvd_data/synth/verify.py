"""Checks a manifest against the files it lists: existence, sha256, duplicates, split leakage, and that the quality
columns hold finite numbers within their ranges where they are not empty."""

from __future__ import annotations

import math
import os
from pathlib import Path

from ..common.hashing import sha256_file
from .manifest import read_manifest, resolve, structural_problems


def verify_manifest(path: os.PathLike | str, hashes: bool = True, progress: bool = False) -> tuple[int, list[str]]:
    """Returns (rows checked, problems); an empty problem list means the dataset is intact."""
    from tqdm import tqdm

    path = Path(path)
    rows = read_manifest(path)
    problems = structural_problems(rows) + quality_problems(rows)
    for k, r in enumerate(tqdm(rows, desc="verify", unit="pair", disable=not progress)):
        for col, hcol in (("blur_path", "blur_sha256"), ("sharp_path", "sharp_sha256")):
            p = resolve(path, r[col])
            if not p.is_file():
                problems.append(f"row {k + 2}: {col} {r[col]} does not exist")
            elif hashes and r.get(hcol) and sha256_file(p) != r[hcol]:
                problems.append(f"row {k + 2}: {col} {r[col]} does not match its sha256 (modified or corrupt)")
    return len(rows), problems


def quality_problems(rows: list[dict]) -> list[str]:
    """Non-numeric, non-finite or out-of-range values in the quality columns (empty cells are fine: not measured)."""
    from .blurpx import RANGES as BLUR_RANGES
    from .quality import RANGES

    problems = []
    for k, r in enumerate(rows):
        for col, (lo, hi) in {**RANGES, **BLUR_RANGES}.items():
            v = (r.get(col) or "").strip()
            if not v:
                continue
            try:
                x = float(v)
            except ValueError:
                problems.append(f"row {k + 2}: {col} {v!r} is not a number")
                continue
            if not math.isfinite(x) or not lo <= x <= hi:
                problems.append(f"row {k + 2}: {col} {v} is outside [{lo:g}, {hi:g}]")
    return problems
