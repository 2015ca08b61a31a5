"""Checks a manifest against the files it lists: existence, sha256, duplicates, split leakage."""

from __future__ import annotations

import os
from pathlib import Path

from ..common.hashing import sha256_file
from .manifest import read_manifest, resolve, structural_problems


def verify_manifest(path: os.PathLike | str, hashes: bool = True, progress: bool = False) -> tuple[int, list[str]]:
    """Returns (rows checked, problems); an empty problem list means the dataset is intact."""
    from tqdm import tqdm

    path = Path(path)
    rows = read_manifest(path)
    problems = structural_problems(rows)
    for k, r in enumerate(tqdm(rows, desc="verify", unit="pair", disable=not progress)):
        for col, hcol in (("blur_path", "blur_sha256"), ("sharp_path", "sharp_sha256")):
            p = resolve(path, r[col])
            if not p.is_file():
                problems.append(f"row {k + 2}: {col} {r[col]} does not exist")
            elif hashes and r.get(hcol) and sha256_file(p) != r[hcol]:
                problems.append(f"row {k + 2}: {col} {r[col]} does not match its sha256 (modified or corrupt)")
    return len(rows), problems
