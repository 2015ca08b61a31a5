from __future__ import annotations

import numpy as np
import pytest

from uhdvd_data.common import atomic, images
from uhdvd_data.common.errors import UserError, run_cli


def test_atomic_write_replaces_and_cleans(tmp_path):
    p = tmp_path / "a" / "f.txt"
    atomic.write_text(p, "one")
    atomic.write_text(p, "two")
    assert p.read_text() == "two"
    with pytest.raises(RuntimeError), atomic.atomic_open(p, "w") as f:
        f.write("half")
        raise RuntimeError("boom")
    assert p.read_text() == "two"
    assert [x.name for x in p.parent.iterdir()] == ["f.txt"]


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_png_roundtrip_keeps_depth(tmp_path, dtype):
    rng = np.random.default_rng(0)
    img = rng.integers(0, np.iinfo(dtype).max, size=(6, 9, 3), dtype=dtype)
    images.write_image(tmp_path / "x.png", img)
    back = images.read_image(tmp_path / "x.png")
    assert back.dtype == dtype and np.array_equal(back, img)


def test_read_image_errors_name_file(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"nope")
    with pytest.raises(UserError, match="bad.png"):
        images.read_image(bad)


def test_run_cli_one_line(capsys):
    def main(argv):
        raise UserError("clip.mp4: broken")

    assert run_cli("prog", main, []) == 2
    err = capsys.readouterr().err
    assert err.strip() == "prog: error: clip.mp4: broken"


def test_atomic_write_uses_umask_permissions(tmp_path):
    import os

    old = os.umask(0o022)
    try:
        atomic.write_text(tmp_path / "p.txt", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "p.txt").stat().st_mode & 0o777 == 0o644
