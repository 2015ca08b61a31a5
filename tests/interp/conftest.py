"""Helpers for the interpolation tests: tiny moving frames and an in-memory method."""

from __future__ import annotations

import numpy as np
import pytest


def moving_frames(n=4, size=(64, 96), speed=3.0, seed=0, dtype=np.uint8):
    """n frames of a smooth random texture translating by `speed` px per frame."""
    from uhdvd_data.render import Scene, load_photo

    photo = load_photo("astronaut")
    sc = Scene(photo, None, size, (256.0, 256.0), (speed, speed / 2), 0.0, 0.0, 1.0, 0.0)
    out = []
    for i in range(n):
        f = sc.render(float(i))
        if dtype == np.uint16:
            out.append((f * 65535 + 0.5).astype(np.uint16))
        else:
            out.append((f * 255 + 0.5).astype(np.uint8))
    return out


@pytest.fixture()
def no_default_weights(monkeypatch):
    monkeypatch.setenv("UHDVD_INTERP_WEIGHTS", "none")
