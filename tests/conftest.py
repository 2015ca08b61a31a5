"""Shared test set-up: markers, small thread counts, and temp folders."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "2")

# tests/clipgen.py (test clips made with ffmpeg) is imported as `clipgen` by several suites.
_TESTS = str(Path(__file__).resolve().parent)
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)
# benchmarks/*.py (scripts, not a package) are imported by name by the tests that run them on tiny inputs.
_BENCH = str(Path(__file__).resolve().parents[1] / "benchmarks")
if _BENCH not in sys.path:
    sys.path.append(_BENCH)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    try:
        import torch

        has_cuda = torch.cuda.is_available()
    except Exception:  # noqa: BLE001
        has_cuda = False
    if has_cuda:
        return
    skip = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture()
def in_tmp(tmp_path, monkeypatch):
    """Run a test inside its own empty folder (the user's commands use relative paths)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
