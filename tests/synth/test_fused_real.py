"""With the real interpolator: `build` == `interpolate` + `synthesize` (method blend, tiny clips, one with a cut)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

pytest.importorskip("uhdvd_data.interp.pipeline")
clipgen = pytest.importorskip("clipgen")
clirun = pytest.importorskip("clirun")


def _hashes(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != "synth.json"}


_cli = clirun.code


@pytest.mark.slow
@pytest.mark.parametrize("method, extra", [("blend", []), ("dis", ["--saturation", "0.8"]),
                                           ("blend", ["--window", "3:9"]), ("dis", ["--window", "1:9", "--blur-px", "0.02:5"])])
def test_build_equals_interpolate_then_synthesize(in_tmp, method, extra):
    """build keeps frames on the interpolation device and averages them there (fused.device_average): still the
    same bytes as the two-step path, which averages the PNG frames on the host."""
    raw = in_tmp / "raw"
    raw.mkdir()
    shutil.copy(clipgen.make_clip(size=(96, 64), frames=5), raw / "plain.mp4")
    shutil.copy(clipgen.scene_cut_clip(size=(96, 64), frames_each=4), raw / "cut.mp4")
    opts = ["--window", "9", "--noise", "0.001,0.001", "--no-progress", *extra]  # a later --window wins
    assert _cli("interpolate", "raw", "--fps", "480", "--method", method, "--device", "cpu") == 0
    assert _cli("synthesize", *opts) == 0
    two_step = _hashes(in_tmp / "dataset")
    manifest = (in_tmp / "manifests/4krd.csv").read_bytes()
    assert len(two_step) >= 6
    assert _cli("build", "raw", "--fps", "480", "--method", method, "--device", "cpu", "--out", "fused",
                "--manifest", "fused_manifests/4krd.csv", *opts) == 0
    assert _hashes(in_tmp / "fused") == two_step
    fused_manifest = (in_tmp / "fused_manifests/4krd.csv").read_bytes()
    assert fused_manifest == manifest.replace(b"../dataset/", b"../fused/")
    import csv
    import json

    rows = list(csv.DictReader(open(in_tmp / "manifests/4krd.csv")))
    if "3:9" in extra:  # windows drawn per pair from the odd sizes 3..9, recorded, the same in both paths
        sizes = [int(r["window"]) for r in rows]
        assert set(sizes) <= {3, 5, 7, 9} and len(set(sizes)) > 1
    if "--blur-px" in extra:  # every kept pair's blur length is in range; the others are counted as skipped
        assert rows and all(0.02 <= float(r["blur_px_p50"]) <= 5 for r in rows)
        skipped = json.loads((in_tmp / "manifests/4krd.json").read_text())["skipped"]["blur_px"]
        assert skipped > 0 or len({r["window"] for r in rows}) > 1


def test_window_range_is_checked_before_any_work(in_tmp, capsys):
    from clirun import cli

    for opt, bad, msg in (("--window", "9:3", "start is larger than its end"), ("--window", "4:9", "odd number"),
                          ("--window", "x", "odd number or a range"), ("--blur-px", "5:1", "needs 0 <= LO <= HI"),
                          ("--blur-px", "4", "must be LO:HI")):
        rc, out, err = cli(capsys, "synthesize", opt, bad, "--no-progress")
        assert rc == 2 and msg in err and len(err.strip().splitlines()) == 1, (bad, err)


def test_report_overlays_two_manifests(in_tmp, capsys):
    """`report A.csv B.csv`: distributions of a synthesized and an imported-style manifest, overlaid."""
    from clirun import cli

    raw = in_tmp / "raw"
    raw.mkdir()
    shutil.copy(clipgen.make_clip(size=(96, 64), frames=5), raw / "plain.mp4")
    assert cli(capsys, "interpolate", "raw", "--fps", "480", "--method", "blend", "--device", "cpu",
               "--no-progress")[0] == 0
    assert cli(capsys, "synthesize", "--window", "9", "--no-progress", "--no-quality")[0] == 0
    pairs = in_tmp / "pairs" / "c0"
    for kind in ("blur", "sharp"):
        shutil.copytree(in_tmp / "dataset" / "train" / "plain" / kind, pairs / kind)
    assert cli(capsys, "import", "pairs", "pairs", "--out", "manifests/other.csv", "--no-progress")[0] == 0
    rc, out, err = cli(capsys, "report", "manifests/4krd.csv", "manifests/other.csv", "--no-progress")
    assert rc == 0, err
    lines = [ln for ln in out.splitlines() if ln.startswith("compare ")]
    assert len(lines) == 2 and "blur length p50 n/a" in lines[1] and " px" in lines[0]
    assert (in_tmp / "manifests/4krd_report/compare_hist.png").stat().st_size > 1000
