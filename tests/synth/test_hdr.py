"""HDR (HLG / PQ) footage: kept in its transfer by interpolate, averaged with its own curve by synthesize (--crf auto)."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import clipgen
import numpy as np
import pytest
from clirun import cli
from conftest import make_clip

from uhdvd_data.synth import crf


def test_hlg_and_pq_curves_match_the_standards():
    # BT.2100 HLG: E' = 0.5 at E = 1/12 (the join of the two pieces), 1 at 1; ST 2084: 100 cd/m2 -> 0.5081
    assert crf.hlg_to_linear(np.array([0.5, 1.0])) == pytest.approx([1 / 12, 1.0], abs=1e-7)
    assert crf.hlg_from_linear(np.array([1 / 12 - 1e-9, 1 / 12 + 1e-9])) == pytest.approx([0.5, 0.5], abs=1e-6)
    assert crf.pq_from_linear(np.array([0.01]))[0] == pytest.approx(0.5081, abs=1e-4)
    assert crf.pq_to_linear(np.array([0.0, 1.0])) == pytest.approx([0.0, 1.0], abs=1e-12)
    x = np.linspace(0, 1, 1001)
    for name in ("hlg", "pq"):
        tf = crf.transfer(name)
        assert np.allclose(tf.from_linear(tf.to_linear(x)), x, atol=1e-6)  # PQ maps 0 to 7.3e-7
        assert np.all(np.diff(tf.to_linear(x)) > 0)


def test_auto_curve_follows_each_clip():
    assert [crf.auto_crf(t) for t in (None, "bt709", "unknown", "bt2020", "hlg", "pq")] == [
        "srgb", "srgb", "srgb", "srgb", "hlg", "pq"]


def _rows(path="manifests/4krd.csv"):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_synthesize_averages_hlg_clips_with_the_hlg_curve(in_tmp, capsys):
    make_clip(Path("interp"), "hdrclip", n_src=3, factor=4, dtype=np.uint16, transfer="hlg")
    rc, _, err = cli(capsys, "synthesize", "--window", "3", "--no-progress", "--no-quality")
    assert rc == 0, err
    rs = _rows()
    assert rs and {r["crf"] for r in rs} == {"hlg"} and {r["bit_depth"] for r in rs} == {"16"}
    # an SDR clip beside the HLG one gets its own curve (each row says which); a forced curve wins for every clip
    make_clip(Path("interp"), "sdrclip", n_src=3, factor=4, transfer="bt709")
    rc, _, err = cli(capsys, "synthesize", "--window", "3", "--no-progress", "--no-quality")
    assert rc == 0, err
    rs = _rows()
    assert {(r["clip_id"], r["crf"], r["bit_depth"]) for r in rs} == {("hdrclip", "hlg", "16"), ("sdrclip", "srgb", "8")}
    hlg_blur = {r["blur_sha256"] for r in rs if r["clip_id"] == "hdrclip"}
    rc, _, err = cli(capsys, "synthesize", "--window", "3", "--crf", "srgb", "--no-progress", "--no-quality")
    assert rc == 2 and "different settings" in err and "hdrclip" in err, err  # the HLG clip's pairs would change
    rc, _, err = cli(capsys, "synthesize", "--window", "3", "--crf", "srgb", "--overwrite", "--no-progress",
                     "--no-quality")
    assert rc == 0, err
    rs = _rows()
    assert {r["crf"] for r in rs} == {"srgb"}
    assert not hlg_blur & {r["blur_sha256"] for r in rs if r["clip_id"] == "hdrclip"}


def test_interpolate_keeps_hlg_footage_and_says_so(in_tmp, capsys):
    Path("raw").mkdir()
    shutil.copy(clipgen.make_clip(size=(96, 64), codec="libx265", pix_fmt="yuv420p10le", transfer="hlg", frames=3),
                "raw/phone.mp4")
    rc, _, err = cli(capsys, "interpolate", "raw/", "--fps", "120", "--method", "blend", "--no-progress")
    assert rc == 0, err
    assert "HLG HDR (10-bit)" in err and "phone.mp4" in err
    meta = json.loads(Path("interp/phone/clip.json").read_text())
    assert meta["transfer"] == "hlg" and meta["bit_depth"] == 10
    rc, _, err = cli(capsys, "interpolate", "raw/", "--fps", "120", "--refuse-hdr", "--force", "--no-progress")
    assert rc != 0 and "refused by --refuse-hdr" in err
