"""Training curves PNG (uhdvd_model.train.curves)."""

from __future__ import annotations

from uhdvd_model.train.curves import write_curves


def test_write_curves_png(tmp_path):
    p = tmp_path / "curves.png"
    write_curves(p, {"loss": [(1, 0.5), (2, 0.25)], "val": [(2, 25.0, 24.0)]}, "run")
    data = p.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000
    write_curves(p, {"loss": [], "val": []}, "empty")  # nothing logged yet: still a valid image
    assert p.read_bytes()[:4] == b"\x89PNG" and not list(tmp_path.glob(".tmp*"))
