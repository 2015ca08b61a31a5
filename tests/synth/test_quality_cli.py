"""Quality columns end to end: synthesize / build / verify / report / merge on tiny clips (method blend)."""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import shutil
import sys
import types
from pathlib import Path

import cv2
import numpy as np
import pytest
from clirun import cli

from uhdvd_data.common.images import read_image, write_image
from uhdvd_data.interp.store import InterpClip
from uhdvd_data.synth.quality import COLUMNS as QCOLS


def rows(path="manifests/4krd.csv"):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def sidecar(path="manifests/4krd.json"):
    return json.loads(Path(path).read_text())


def tree(root):
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(root).rglob("*")) if p.is_file() and p.name != "synth.json"}


def static_clip(folder: Path, n_src: int, seed: int, flaws: dict) -> None:
    """A still textured scene (+ a little noise) at 480 fps; flaws: captured frame index -> function(frame)."""
    from uhdvd_data.interp.store import FrameRow, InterpClipWriter

    rng = np.random.default_rng(seed)
    tex = cv2.GaussianBlur(rng.random((64, 96, 3)).astype(np.float32), (0, 0), 1.5)
    tex = (tex - tex.min()) / (tex.max() - tex.min())
    wr = InterpClipWriter(folder)
    for i in range((n_src - 1) * 16 + 1):
        img = (np.clip(tex + rng.normal(0, 0.01, tex.shape), 0, 1) * 255).round().astype(np.uint8)
        src = i // 16 if i % 16 == 0 else None
        wr.write(FrameRow(i, i / 480, src, 0), flaws[src](img) if src in flaws else img)
    wr.finish({"source_path": f"raw/{folder.name}.mp4", "src_fps": "30/1", "factor": 16, "out_fps": 480.0,
               "method": "blend", "width": 96, "height": 64, "bit_depth": 8})


@pytest.fixture()
def flawed(in_tmp):
    """interp/ with clip "f" (7 captured frames, window 13 -> pairs centred on 1..5) of a still scene: captured
    frame 3 shifted (a flash of motion the interpolator cannot know: its self-check collapses) and captured frame 5
    blurred (its target is not sharp); clip "ok" the same without flaws."""
    static_clip(in_tmp / "interp" / "f", 7, 4, {3: lambda f: np.roll(f, 9, axis=1),
                                               5: lambda f: cv2.GaussianBlur(f, (0, 0), 2.0)})
    static_clip(in_tmp / "interp" / "ok", 4, 5, {})
    return in_tmp


def test_columns_present_finite_and_empty_at_cuts(interp3, capsys):
    rc, out, err = cli(capsys, "synthesize", "--no-progress")
    assert rc == 0, err
    rs = {(r["clip_id"], r["pair_idx"]): r for r in rows()}
    assert list(rows()[0])[-6:-2] == list(QCOLS)  # then blur_px_p50, blur_px_p95
    for key, r in rs.items():
        if key == ("clipC", "0"):  # its i+1 lies after clipC's scene cut
            assert all(r[c] == "" for c in QCOLS[:2]) and float(r["target_sharpness"]) > 0
            continue
        vals = {c: float(r[c]) for c in QCOLS}
        assert all(math.isfinite(v) for v in vals.values()), r
        assert 0 < vals["check_psnr"] <= 100 and -1 <= vals["check_ssim"] <= 1
    assert float(rs[("clipB", "0")]["target_sharpness"]) == 1.0  # a clip's only pair is its own median
    q = sidecar()["quality"]
    assert q["computed"] and q["check_empty"]["cut"] == 1 and q["check_side"] == [64, 1024]
    assert "1 cut" in out
    assert cli(capsys, "verify", "manifests/4krd.csv", "--no-progress")[0] == 0


def test_empty_at_clip_ends_and_no_quality(interp3, capsys):
    assert cli(capsys, "synthesize", "--window", "1", "--no-progress")[0] == 0
    rs = [r for r in rows() if r["clip_id"] == "clipA"]  # pairs centred on captured frames 0..3
    assert [r["check_psnr"] == "" for r in rs] == [True, False, False, True]
    assert sidecar()["quality"]["check_empty"]["clip_end"] == 6  # two per clip
    shutil.rmtree("dataset")
    assert cli(capsys, "synthesize", "--no-quality", "--no-progress")[0] == 0
    assert all(r[c] == "" for r in rows() for c in QCOLS)
    assert sidecar()["quality"]["computed"] is False
    rc, _, err = cli(capsys, "synthesize", "--no-quality", "--min-check-psnr", "20", "--no-progress")
    assert rc == 2 and "--no-quality" in err


def test_filters_drop_count_and_resume(flawed, capsys):
    assert cli(capsys, "synthesize", "--no-progress")[0] == 0
    full = {int(r["pair_idx"]): r for r in rows() if r["clip_id"] == "f"}
    psnr = {k: float(r["check_psnr"]) for k, r in full.items()}
    sharp = {k: float(r["target_sharpness"]) for k, r in full.items()}
    assert min(psnr, key=psnr.get) == 2  # pair 2 is centred on the shifted frame (captured frame 3)
    assert min(sharp, key=sharp.get) == 4 and sharp[4] < 0.5  # the blurred target
    cut = (sorted(psnr.values())[0] + sorted(psnr.values())[1]) / 2
    rc, out, err = cli(capsys, "synthesize", "--min-check-psnr", f"{cut}", "--min-sharpness", "0.5", "--no-progress")
    assert rc == 0, err
    assert "dropped pairs: 1 with check_psnr" in out and "1 with target_sharpness < 0.5" in out
    kept = [int(r["pair_idx"]) for r in rows() if r["clip_id"] == "f"]
    assert kept == [0, 1, 3]  # pair_idx unchanged: the gap says the kept pairs are not consecutive
    sk = sidecar()["skipped"]
    assert sk["low_check_psnr"] == 1 and sk["low_sharpness"] == 1
    blur = next(Path("dataset").glob("*/f/blur"))
    assert sorted(p.name for p in blur.iterdir()) == ["000000.png", "000001.png", "000003.png"]
    assert cli(capsys, "verify", "manifests/4krd.csv", "--no-progress")[0] == 0
    # kept pairs carry the values they had without filters; loosening the filters brings the pairs back
    assert all(r[c] == full[int(r["pair_idx"])][c] for r in rows() if r["clip_id"] == "f" for c in QCOLS)
    assert cli(capsys, "synthesize", "--no-progress")[0] == 0
    assert {int(r["pair_idx"]): r for r in rows() if r["clip_id"] == "f"} == full


def test_resume_reuses_or_recomputes_the_same_values(interp3, capsys, monkeypatch):
    assert cli(capsys, "synthesize", "--no-progress")[0] == 0
    want = Path("manifests/4krd.csv").read_bytes()
    import uhdvd_data.synth.quality_methods as qm

    def no_method(*a, **k):
        raise AssertionError("complete clips take their quality from synth.json")

    with monkeypatch.context() as mp:
        mp.setattr(qm, "method_from_meta", no_method)
        assert cli(capsys, "synthesize", "--no-progress")[0] == 0
    assert Path("manifests/4krd.csv").read_bytes() == want
    # an interrupted clip (marker not complete, a pair missing) recomputes them: same values
    marker = next(Path("dataset").glob("*/clipA/synth.json"))
    m = json.loads(marker.read_text())
    marker.write_text(json.dumps({k: m[k] for k in ("clip_id", "fingerprint")} | {"complete": False}))
    next(marker.parent.glob("blur/*.png")).unlink()
    assert cli(capsys, "synthesize", "--no-progress")[0] == 0
    assert Path("manifests/4krd.csv").read_bytes() == want
    assert json.loads(marker.read_text())["quality"] == m["quality"]


def test_verify_catches_bad_values(interp3, capsys):
    assert cli(capsys, "synthesize", "--no-progress")[0] == 0
    rs = rows()
    for col, bad, msg in (("check_psnr", "abc", "not a number"), ("check_ssim", "1.5", "outside"),
                          ("check_psnr", "nan", "outside"), ("target_sharpness", "-1", "outside")):
        rs2 = [dict(r) for r in rs]
        rs2[1][col] = bad
        with open("manifests/bad.csv", "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rs[0]), lineterminator="\n")
            w.writeheader()
            w.writerows(rs2)
        rc, _, err = cli(capsys, "verify", "manifests/bad.csv", "--no-hash", "--no-progress")
        assert rc == 1 and f"row 3: {col}" in err and msg in err, err
    # a manifest written before the quality columns existed still verifies and reports
    with open("manifests/old.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=[c for c in rs[0] if c not in QCOLS], extrasaction="ignore",
                           lineterminator="\n")
        w.writeheader()
        w.writerows(rs)
    assert cli(capsys, "verify", "manifests/old.csv", "--no-progress")[0] == 0
    rc, out, _ = cli(capsys, "report", "manifests/old.csv", "--out", "rep_old", "--no-progress")
    assert rc == 0 and "not measured" in out


def test_report_histogram_and_worst_pairs(flawed, capsys):
    assert cli(capsys, "synthesize", "--no-progress")[0] == 0
    rc, out, err = cli(capsys, "report", "manifests/4krd.csv", "--out", "rep", "--worst-pairs", "2", "--no-progress")
    assert rc == 0, err
    assert Path("rep/quality_hist.png").stat().st_size > 1000
    worst = list(csv.DictReader(open("rep/worst_pairs.csv")))
    assert [(w["clip_id"], w["pair_idx"]) for w in worst][0] == ("f", "2")  # the shifted frame's pair first
    assert len(worst) == 2 and float(worst[0]["check_psnr"]) <= float(worst[1]["check_psnr"])
    assert "worst " in out and "/f#2: check" in out
    plain = cli(capsys, "report", "manifests/4krd.csv", "--out", "rep0", "--worst-pairs", "0", "--no-progress")
    assert plain[0] == 0
    h0, h2 = (read_image(Path(d, "contact_sheet.png")).shape[0] for d in ("rep0", "rep"))
    assert h2 > h0  # the worst pairs are added to the contact sheet


def test_shards_merge_counts(interp3, capsys):
    for i in range(2):
        assert cli(capsys, "synthesize", "--shard", f"{i}/2", "--no-progress")[0] == 0
    shards = [f"manifests/4krd.shard-{i}-of-2.csv" for i in range(2)]
    assert cli(capsys, "merge", *shards, "--out", "manifests/merged.csv")[0] == 0
    assert sidecar("manifests/merged.json")["quality"]["check_empty"]["cut"] == 1
    assert sidecar("manifests/merged.json")["skipped"]["low_check_psnr"] == 0


@pytest.fixture()
def replay(monkeypatch):
    """iter_interpolated that replays interp/<stem>/ (as tests/synth/test_fused_build.py does)."""

    def iter_interpolated(video_path, fps=480, **kw):
        clip = InterpClip(Path(os.environ["FAKE_INTERP"]) / Path(video_path).stem)
        return dict(clip.meta), ((row, clip.read(row.index)) for row in clip.rows)

    mod = types.ModuleType("uhdvd_data.interp.pipeline")
    mod.iter_interpolated = iter_interpolated
    monkeypatch.setitem(sys.modules, "uhdvd_data.interp.pipeline", mod)
    import uhdvd_data.interp as pkg

    monkeypatch.setattr(pkg, "pipeline", mod, raising=False)


@pytest.mark.parametrize("filters", [False, True])
def test_build_equals_synthesize(flawed, replay, monkeypatch, filters):
    """Same quality columns, same drops, same files from build (self-check on the streamed frames) and synthesize."""
    from uhdvd_data.synth.dataset import SynthConfig, synthesize_dataset
    from uhdvd_data.synth.fused import build_dataset

    monkeypatch.setenv("FAKE_INTERP", str(flawed / "interp"))
    opts = {}
    if filters:  # between the lowest check (the shifted frame's pair) and the next one
        synthesize_dataset(out_root="d0", manifest="m0/4krd.csv", show_progress=False)
        psnr = sorted(float(r["check_psnr"]) for r in rows("m0/4krd.csv") if r["check_psnr"])
        opts = dict(min_check_psnr=(psnr[0] + psnr[1]) / 2, min_sharpness=0.5)
    synthesize_dataset(cfg=SynthConfig(**opts), show_progress=False)
    two_step, manifest = tree("dataset"), Path("manifests/4krd.csv").read_bytes()
    assert len(rows()) == (5 if filters else 7)
    shutil.rmtree("dataset")
    shutil.rmtree("manifests")
    raw = flawed / "raw"
    raw.mkdir()
    for c in ("f", "ok"):
        (raw / f"{c}.mp4").write_bytes(c.encode())
    interp = {"fps": 480, "method": "blend", "weights": None, "device": "cpu", "dtype": None}
    s = build_dataset(sorted(raw.iterdir()), interp, cfg=SynthConfig(**opts), show_progress=False)
    assert tree("dataset") == two_step and Path("manifests/4krd.csv").read_bytes() == manifest
    assert s["quality"]["dropped"] == {"check_psnr": int(filters), "sharpness": int(filters)}
    # a complete rerun reuses every clip (no stream) and keeps the dropped pairs out
    import uhdvd_data.interp.pipeline as pl

    monkeypatch.setattr(pl, "iter_interpolated", lambda *a, **k: (_ for _ in ()).throw(AssertionError("restream")))
    build_dataset(sorted(raw.iterdir()), interp, cfg=SynthConfig(**opts), show_progress=False)
    assert tree("dataset") == two_step and Path("manifests/4krd.csv").read_bytes() == manifest


def test_imported_pairs_leave_the_columns_empty(in_tmp, capsys):
    rng = np.random.default_rng(0)
    for sub in ("blur", "sharp"):
        for k in range(2):
            write_image(in_tmp / "P" / "train" / "c" / sub / f"{k}.png", rng.integers(0, 256, (16, 24, 3), np.uint8))
    assert cli(capsys, "import", "pairs", "P", "--out", "manifests/p.csv", "--no-progress")[0] == 0
    assert all(r[c] == "" for r in rows("manifests/p.csv") for c in QCOLS)
    assert cli(capsys, "verify", "manifests/p.csv", "--no-progress")[0] == 0
    rc, out, _ = cli(capsys, "report", "manifests/p.csv", "--out", "rep", "--no-progress")
    assert rc == 0 and "quality: not measured" in out and Path("rep/worst_pairs.csv").is_file()


def test_network_clip_without_its_weights_fails_before_any_pair(interp3, capsys, monkeypatch):
    monkeypatch.setenv("UHDVD_INTERP_WEIGHTS", "none")
    meta_path = Path("interp/clipB/clip.json")
    meta = json.loads(meta_path.read_text())
    meta.update(method="network", weights_sha256="f" * 64, method_config={"method": "network", "motion": "fused"})
    meta_path.write_text(json.dumps(meta))
    rc, _, err = cli(capsys, "synthesize", "--no-progress")
    assert rc == 2 and "--weights FILE" in err and "--no-quality" in err
    assert not list(Path("dataset").rglob("*.png"))
    assert cli(capsys, "synthesize", "--no-quality", "--no-progress")[0] == 0
