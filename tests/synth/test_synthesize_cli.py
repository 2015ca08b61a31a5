"""`uhdvd-data synthesize / verify / report / export / merge` end to end on tiny clips."""

from __future__ import annotations

import csv
import errno
import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest
from clirun import cli

from uhdvd_data.synth.manifest import COLUMNS


def tree_hashes(*roots):
    """{(root index, relative path): sha256} for every file below the roots."""
    out = {}
    for k, root in enumerate(roots):
        for p in sorted(Path(root).rglob("*")):
            if p.is_file():
                out[(k, p.relative_to(root).as_posix())] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def rows(path="manifests/4krd.csv"):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_default_command(interp3, capsys):
    rc, out, err = cli(capsys, "synthesize", "--window", "13", "--no-progress")
    assert rc == 0, err
    rs = rows()
    with open("manifests/4krd.csv") as f:
        assert next(csv.reader(f))[: len(COLUMNS)] == COLUMNS
    # clipA: 4 source frames -> 2 pairs; clipB: 3 -> 1; clipC: 5 with a cut at source frame 2 -> 2 (1 skipped at the cut)
    assert [(r["clip_id"], int(r["pair_idx"])) for r in rs] == [
        ("clipA", 0), ("clipA", 1), ("clipB", 0), ("clipC", 0), ("clipC", 1)]
    assert {r["clip_id"]: r["src_frame"] for r in rs if r["pair_idx"] == "0"} == {"clipA": "1", "clipB": "1", "clipC": "1"}
    assert [r["segment"] for r in rs] == ["0", "0", "0", "0", "1"]  # clipC's 2nd pair is after its cut
    r = rs[0]
    assert r["window"] == "13" and float(r["exposure_s"]) == pytest.approx(13 / 480)
    assert float(r["duty_cycle"]) == pytest.approx(13 / 16)
    assert r["blur_path"] == f"../dataset/{r['split']}/clipA/blur/000000.png"
    assert (Path("manifests") / r["blur_path"]).is_file()
    assert r["crf"] == "srgb" and r["interp_method"] == "blend" and r["device_model"] == "test phone"
    splits = {r["clip_id"]: r["split"] for r in rs}
    assert "test" in splits.values() and "train" in splits.values()
    side = json.loads(Path("manifests/4krd.json").read_text())
    assert side["config"]["window"] == 13 and side["skipped"]["cut"] == 1 and side["n_rows"] == 5
    assert "1 at scene cuts" in out
    # verify passes, and a rerun changes nothing (resume)
    before = tree_hashes("dataset", "manifests")
    assert cli(capsys, "verify", "manifests/4krd.csv", "--no-progress")[0] == 0
    assert cli(capsys, "synthesize", "--window", "13", "--no-progress")[0] == 0
    assert tree_hashes("dataset", "manifests") == before


def test_jobs_do_not_change_output(interp3, capsys, monkeypatch):
    import uhdvd_data.synth.dataset as ds

    monkeypatch.setattr(ds, "CHUNK_PAIRS", 1)
    args = ["synthesize", "--window", "9", "--center", "any", "--noise", "poisson-gaussian:0.001,0.001",
            "--saturation", "0.8", "--no-progress"]
    assert cli(capsys, *args)[0] == 0
    one = tree_hashes("dataset", "manifests")
    os.rename("dataset", "dataset1")
    os.rename("manifests", "manifests1")
    assert cli(capsys, *args, "--jobs", "2")[0] == 0
    assert tree_hashes("dataset", "manifests") == one
    assert len(rows()) > 10


def test_shard_and_merge_equal_single_run(interp3, capsys):
    for i in range(2):
        assert cli(capsys, "synthesize", "--shard", f"{i}/2", "--no-progress")[0] == 0
    assert Path("manifests/4krd.shard-0-of-2.csv").is_file()
    rc, out, err = cli(capsys, "merge", "manifests/4krd.shard-0-of-2.csv", "manifests/4krd.shard-1-of-2.csv",
                       "--out", "manifests/4krd.csv")
    assert rc == 0, err
    merged = Path("manifests/4krd.csv").read_bytes()
    os.rename("manifests", "m_shards")
    assert cli(capsys, "synthesize", "--no-progress")[0] == 0
    assert Path("manifests/4krd.csv").read_bytes() == merged
    # merging shards made with different settings is refused
    assert cli(capsys, "synthesize", "--shard", "0/2", "--window", "11", "--out", "d2", "--no-progress")[0] == 0
    rc, _, err = cli(capsys, "merge", "manifests/4krd.shard-0-of-2.csv", "m_shards/4krd.shard-1-of-2.csv",
                     "--out", "manifests/x.csv")
    assert rc == 2 and "different configuration" in err and "window" in err
    rc, _, err = cli(capsys, "merge", "m_shards/4krd.shard-0-of-2.csv", "m_shards/4krd.shard-0-of-2.csv",
                     "--out", "manifests/x.csv")
    assert rc == 2 and "duplicate" in err


def test_verify_finds_problems(interp3, capsys):
    assert cli(capsys, "synthesize", "--no-progress")[0] == 0
    rs = rows()
    Path("manifests", rs[0]["blur_path"]).write_bytes(b"tampered")
    Path("manifests", rs[1]["sharp_path"]).unlink()
    with open("manifests/4krd.csv", "a") as f:
        f.write(",".join(rs[2][c] for c in COLUMNS) + "\n")
    rc, out, err = cli(capsys, "verify", "manifests/4krd.csv", "--no-progress")
    assert rc == 1
    assert "sha256" in err and "does not exist" in err and "duplicate" in err


def test_verify_split_leak(interp3, capsys):
    assert cli(capsys, "synthesize", "--no-progress")[0] == 0
    text = Path("manifests/4krd.csv").read_text().splitlines()
    # move one pair of a clip to another split
    parts = text[1].split(",")
    parts[1] = "val"
    text[1] = ",".join(parts)
    Path("manifests/4krd.csv").write_text("\n".join(text) + "\n")
    rc, _, err = cli(capsys, "verify", "manifests/4krd.csv", "--no-hash", "--no-progress")
    assert rc == 1 and "is in both" in err


def test_report_and_export(interp3, capsys):
    assert cli(capsys, "synthesize", "--center", "any", "--window", "7", "--no-progress")[0] == 0
    rc, out, err = cli(capsys, "report", "manifests/4krd.csv", "--out", "rep", "--no-progress")
    assert rc == 0, err
    assert "train" in out and "pairs" in out
    for name in ("contact_sheet.png", "blur_hist.png", "pair_stats.csv", "splits.csv"):
        assert Path("rep", name).stat().st_size > 0
    stats = list(csv.DictReader(open("rep/pair_stats.csv")))
    assert all(0 < float(s["grad_ratio"]) < 1.0 for s in stats)  # blur removes gradient energy
    rs = rows()
    r0 = rs[0]
    for fmt, rel in (("gopro", f"{r0['split']}/{r0['clip_id']}/blur/000000.png"),
                     ("reds", f"{r0['split']}_sharp/{r0['clip_id']}/00000000.png"),
                     ("basicsr", f"{r0['split']}/blur/{r0['clip_id']}/00000000.png")):
        rc, out, err = cli(capsys, "export", "manifests/4krd.csv", "--format", fmt, "--out", f"ex_{fmt}")
        assert rc == 0, err
        assert Path(f"ex_{fmt}", rel).is_file()
    assert Path("ex_gopro", rel := f"{r0['split']}/{r0['clip_id']}/blur/000000.png").samefile(
        Path("manifests", r0["blur_path"]))
    meta = Path(f"ex_basicsr/meta_info_{r0['split']}.txt").read_text()
    n = sum(r["clip_id"] == r0["clip_id"] for r in rs)
    assert f"{r0['clip_id']} {n} (64,96,3)" in meta
    assert rel


def test_sixteen_bit_stays_sixteen_bit(in_tmp, mkclip, capsys):
    from uhdvd_data.common.images import read_image

    mkclip(in_tmp / "interp", "deep", n_src=3, dtype=np.uint16)
    assert cli(capsys, "synthesize", "--no-progress")[0] == 0
    r = rows()[0]
    assert r["bit_depth"] == "16"
    assert read_image(Path("manifests", r["blur_path"])).dtype == np.uint16
    rc, _, err = cli(capsys, "synthesize", "--image-format", "jpg", "--out", "d2", "--manifest", "m2/x.csv",
                     "--no-progress")
    assert rc == 2 and "8-bit" in err and not Path("d2").exists()


def test_jpg_output_and_jpeg_recompression(interp3, capsys):
    assert cli(capsys, "synthesize", "--image-format", "jpg", "--quality", "90", "--jpeg-quality", "60",
               "--no-progress")[0] == 0
    r = rows()[0]
    assert r["blur_path"].endswith(".jpg")
    assert cli(capsys, "verify", "manifests/4krd.csv", "--no-progress")[0] == 0


def test_settings_change_is_refused_without_overwrite(interp3, capsys):
    assert cli(capsys, "synthesize", "--no-progress")[0] == 0
    rc, _, err = cli(capsys, "synthesize", "--crf", "linear", "--no-progress")
    assert rc == 2 and "different settings" in err
    assert cli(capsys, "synthesize", "--crf", "linear", "--overwrite", "--no-progress")[0] == 0
    assert rows()[0]["crf"] == "linear"
    assert cli(capsys, "verify", "manifests/4krd.csv", "--no-progress")[0] == 0


# ------------------------------------------------------------------ errors: one line, non-zero, nothing written

def _assert_clean_error(rc, err, text):
    assert rc != 0
    lines = [ln for ln in err.strip().splitlines() if ln]
    assert len(lines) == 1 and text in lines[0], err
    assert "Traceback" not in err
    assert not Path("dataset").exists() and not Path("manifests").exists()


@pytest.mark.parametrize(
    "argv, text",
    [
        (["--window", "12"], "odd"),
        (["--crf", "rec2020"], "unknown CRF"),
        (["--window", "99"], "does not fit in any clip"),
        (["--crf-lut", "nope.txt"], "no such CRF table"),
        (["--noise", "banana"], "--noise"),
        (["--split-ratio", "2"], "--split-ratio"),
        (["--shard", "2/2"], "--shard"),
        (["--interp", "missing"], "no such folder"),
    ],
)
def test_errors(interp3, capsys, argv, text):
    rc, out, err = cli(capsys, "synthesize", "--no-progress", *argv)
    _assert_clean_error(rc, err, text)


def test_bad_lut_and_empty_interp(in_tmp, mkclip, capsys):
    Path("interp").mkdir()
    rc, _, err = cli(capsys, "synthesize", "--no-progress")
    _assert_clean_error(rc, err, "no interpolated clips")
    mkclip(in_tmp / "interp", "c", n_src=3)
    Path("lut.txt").write_text("\n".join(str(v) for v in [0.0, 0.5, 0.2] + list(range(1, 254))))
    rc, _, err = cli(capsys, "synthesize", "--crf-lut", "lut.txt", "--no-progress")
    _assert_clean_error(rc, err, "not strictly increasing")


def test_mismatched_frame_sizes(in_tmp, mkclip, capsys):
    mkclip(in_tmp / "interp", "ok", n_src=3)
    mkclip(in_tmp / "interp", "odd", n_src=3, sizes={20: (32, 48)})
    rc, _, err = cli(capsys, "synthesize", "--no-progress")
    _assert_clean_error(rc, err, "000020.png: frame is 48x32")


def test_disk_full_leaves_nothing_half_written(interp3, capsys, monkeypatch):
    import uhdvd_data.synth.dataset as ds

    calls = {"n": 0}
    real = ds.write_bytes

    def flaky(path, data, fsync=False):
        calls["n"] += 1
        if calls["n"] == 4:  # fail on the 2nd pair's blur image (after its sharp image was written)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(path, data, fsync)

    monkeypatch.setattr(ds, "write_bytes", flaky)
    rc, out, err = cli(capsys, "synthesize", "--no-progress")
    assert rc == 2 and "disk full" in err and len(err.strip().splitlines()) == 1
    assert not Path("manifests/4krd.csv").exists()
    assert not list(Path("dataset").rglob(".tmp-*"))
    blurs = list(Path("dataset").rglob("blur/*.png"))
    assert len(blurs) == 1  # only the complete first pair; no partial file
    monkeypatch.setattr(ds, "write_bytes", real)
    assert cli(capsys, "synthesize", "--no-progress")[0] == 0
    assert cli(capsys, "verify", "manifests/4krd.csv", "--no-progress")[0] == 0


def test_splits_file_and_short_clip_note(interp3, mkclip, capsys):
    mkclip(interp3 / "interp", "tiny", n_src=2, factor=4)  # too short for a 13-frame window
    (interp3 / "interp" / "halfdone").mkdir()  # an interrupted interpolation (no clip.json)
    Path("s.csv").write_text("clip_id,split\nclipA,val\nclipB,test\nclipC,train\ntiny,train\n")
    rc, out, err = cli(capsys, "synthesize", "--splits", "s.csv", "--no-progress")
    assert rc == 0, err
    assert {r["clip_id"]: r["split"] for r in rows()} == {"clipA": "val", "clipB": "test", "clipC": "train"}
    assert "tiny" in out and "no window" in out
    assert "halfdone" in out and "no finished interpolation" in out
    assert Path("dataset/val/clipA/blur/000000.png").is_file()


def test_short_clips_fall_back_to_tiling(in_tmp, mkclip, capsys):
    """A 2-frame source clip (17 frames at x16) holds no 13-frame window around a captured frame: by default the
    segment is tiled instead (with a note); an explicit --center captured still refuses in one line."""
    mkclip(in_tmp / "interp", "two", n_src=2)
    rc, _, err = cli(capsys, "synthesize", "--center", "captured", "--no-progress")
    _assert_clean_error(rc, err, "centred on captured frames")
    rc, out, err = cli(capsys, "synthesize", "--no-progress")
    assert rc == 0, err
    rs = rows()
    assert [(r["start_idx"], r["end_idx"], r["src_frame"]) for r in rs] == [("0", "12", "")]
    assert "tile the scene segments" in out
    assert json.loads(Path("manifests/4krd.json").read_text())["config"]["center"] == "any"


def test_center_auto_keeps_captured_windows_when_they_fit(interp3, capsys):
    assert cli(capsys, "synthesize", "--no-progress")[0] == 0
    assert json.loads(Path("manifests/4krd.json").read_text())["config"]["center"] == "captured"
    assert all(r["src_frame"] for r in rows())
