"""`uhdvd-data import gopro|reds|dvd|4krd|pairs DIR` on tiny trees: rows, paths, hashes, verify, rejections."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from clirun import cli

from uhdvd_data.synth.manifest import COLUMNS
from uhdvd_model.data.manifest import read_manifest

FRAMES = ["000001.png", "000002.png", "000003.png"]
SYNTH_ONLY = ["src_frame", "window", "start_idx", "end_idx", "exposure_s", "crf", "seed", "segment"]




def img(path: Path, w: int = 24, h: int = 16, seed: int = 0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rgb = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    assert cv2.imwrite(str(path), rgb)


def seq(folder: Path, blur: str = "blur", sharp: str = "sharp", names=FRAMES, extra=()) -> None:
    for k, n in enumerate(names):
        for j, sub in enumerate((blur, sharp, *extra)):
            img(folder / sub / n, seed=10 * k + j)


def gopro(root: Path) -> Path:
    g = root / "GOPRO_Large"
    for split, name in (("train", "GOPR0372_07_00"), ("train", "GOPR0374_11_00"), ("test", "GOPR0384_11_00")):
        seq(g / split / name, extra=("blur_gamma",))
    (g / "train" / ".cache").mkdir()  # hidden folders and files are ignored
    (g / "train" / "GOPR0372_07_00" / "blur" / ".DS_Store").write_bytes(b"x")
    return g


def rows(path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_gopro(in_tmp, capsys):
    g = gopro(in_tmp / "data")
    rc, out, err = cli(capsys, "import", "gopro", "data", "--no-progress")
    assert rc == 0, err
    assert out.strip() == "imported gopro: 2 train clips (6 pairs), 1 test clip (3 pairs) -> manifests/gopro.csv"
    with open("manifests/gopro.csv") as f:
        assert next(csv.reader(f)) == COLUMNS
    rs = rows("manifests/gopro.csv")
    assert [(r["clip_id"], r["split"], r["pair_idx"]) for r in rs] == [
        (c, s, str(i)) for c, s in (("GOPR0372_07_00", "train"), ("GOPR0374_11_00", "train"),
                                    ("GOPR0384_11_00", "test")) for i in range(3)]
    r = rs[1]
    folder = g / "train" / "GOPR0372_07_00"
    assert r["blur_path"] == "../data/GOPRO_Large/train/GOPR0372_07_00/blur/000002.png"
    assert (Path("manifests") / r["blur_path"]).resolve() == (folder / "blur" / "000002.png").resolve()
    assert (Path("manifests") / r["sharp_path"]).resolve() == (folder / "sharp" / "000002.png").resolve()
    assert (Path("manifests") / r["source_path"]).resolve() == folder.resolve()
    assert r["blur_sha256"] == sha(folder / "blur" / "000002.png")
    assert r["sharp_sha256"] == sha(folder / "sharp" / "000002.png")
    assert (r["width"], r["height"], r["bit_depth"]) == ("24", "16", "8")
    assert r["interp_method"] == "import:gopro" and r["tool_version"]
    assert all(r[c] == "" for c in SYNTH_ONLY)
    sc = json.loads(Path("manifests/gopro.json").read_text())
    assert sc["source"] == "import" and sc["format"] == "gopro" and sc["blur"] == "blur" and sc["hashed"] is True
    assert sc["root"] == str((in_tmp / "data").absolute())
    assert sc["splits"] == {"train": {"clips": 2, "pairs": 6}, "test": {"clips": 1, "pairs": 3}}
    clips = read_manifest("manifests/gopro.csv")
    assert [(c.clip_id, c.split, len(c)) for c in clips] == [
        ("GOPR0372_07_00", "train", 3), ("GOPR0374_11_00", "train", 3), ("GOPR0384_11_00", "test", 3)]
    rc, out, err = cli(capsys, "verify", "manifests/gopro.csv", "--no-progress")
    assert rc == 0 and "OK (9 pairs)" in out, err


def test_gopro_blur_gamma_no_hash(in_tmp, capsys):
    gopro(in_tmp / "data")
    rc, out, err = cli(capsys, "import", "gopro", "data/GOPRO_Large", "--blur", "blur_gamma", "--no-hash",
                       "--out", "out/sub/g.csv", "--no-progress")
    assert rc == 0, err
    assert out.strip().endswith("-> out/sub/g.csv")
    rs = rows("out/sub/g.csv")
    assert len(rs) == 9 and all("/blur_gamma/" in r["blur_path"] for r in rs)
    assert rs[0]["blur_path"].startswith("../../data/GOPRO_Large/train/GOPR0372_07_00/blur_gamma/")
    assert all(r["blur_sha256"] == "" and r["sharp_sha256"] == "" for r in rs)
    assert json.loads(Path("out/sub/g.json").read_text())["blur"] == "blur_gamma"
    rc, out, err = cli(capsys, "verify", "out/sub/g.csv", "--no-progress")
    assert rc == 0, err


def test_pairs_natural_order_split_and_extensions(in_tmp, capsys):
    seq(in_tmp / "d" / "clipA", names=["10.png", "2.png", "1.png"])
    for k, n in enumerate(["1", "2", "10"]):  # same stems, different extensions
        img(in_tmp / "d" / "clipB" / "blur" / f"{n}.png", seed=k)
        img(in_tmp / "d" / "clipB" / "sharp" / f"{n}.tif", seed=k + 5)
    rc, out, err = cli(capsys, "import", "pairs", "d", "--split", "val", "--jobs", "2", "--no-progress")
    assert rc == 0, err
    assert "every clip is 'val'" in out
    assert out.splitlines()[-1] == "imported pairs: 2 val clips (6 pairs) -> manifests/pairs.csv"
    rs = rows("manifests/pairs.csv")
    assert [Path(r["blur_path"]).name for r in rs[:3]] == ["1.png", "2.png", "10.png"]
    assert [r["pair_idx"] for r in rs[:3]] == ["0", "1", "2"]
    assert [Path(r["sharp_path"]).name for r in rs[3:]] == ["1.tif", "2.tif", "10.tif"]
    assert {r["split"] for r in rs} == {"val"}
    assert rs[4]["sharp_sha256"] == sha(in_tmp / "d" / "clipB" / "sharp" / "2.tif")
    assert cli(capsys, "verify", "manifests/pairs.csv", "--no-progress")[0] == 0


def test_reds(in_tmp, capsys):
    for split, seqs in (("train", ["000", "001"]), ("val", ["000"])):
        for s in seqs:
            for kind in ("blur", "blur_comp", "sharp"):
                for k in range(3):
                    img(in_tmp / "REDS" / f"{split}_{kind}" / s / f"{k:08d}.png", seed=k)
    rc, out, err = cli(capsys, "import", "reds", "REDS", "--blur", "blur_comp", "--no-progress")
    assert rc == 0, err
    assert out.strip() == "imported reds: 2 train clips (6 pairs), 1 val clip (3 pairs) -> manifests/reds.csv"
    rs = rows("manifests/reds.csv")
    assert sorted({(r["clip_id"], r["split"]) for r in rs}) == [
        ("train_000", "train"), ("train_001", "train"), ("val_000", "val")]
    assert all("_blur_comp/" in r["blur_path"] and "_sharp/" in r["sharp_path"] for r in rs)
    assert cli(capsys, "verify", "manifests/reds.csv", "--no-progress")[0] == 0
    assert len(read_manifest("manifests/reds.csv")) == 3
    for kind in ("blur", "sharp"):  # REDS zips unpack as train/train_blur/<seq>/: accepted too
        shutil.copytree(in_tmp / "REDS" / f"train_{kind}", in_tmp / "nested" / "train" / f"train_{kind}")
    rc, out, err = cli(capsys, "import", "reds", "nested", "--no-progress", "--no-hash")
    assert rc == 0 and out.strip().startswith("imported reds: 2 train clips (6 pairs) ->"), err


def test_dvd_and_4krd(in_tmp, capsys):
    seq(in_tmp / "DVD" / "training" / "IMG_0003", "input", "GT", names=["00000.jpg", "00001.JPG", "00002.jpeg"])
    seq(in_tmp / "DVD" / "testing" / "720p_240fps_2", "input", "GT", names=["00000.jpg", "00001.jpg"])
    rc, out, err = cli(capsys, "import", "dvd", "DVD", "--no-progress")
    assert rc == 0, err
    assert out.strip() == "imported dvd: 1 train clip (3 pairs), 1 test clip (2 pairs) -> manifests/dvd.csv"
    rs = rows("manifests/dvd.csv")
    assert [Path(r["sharp_path"]).parent.name for r in rs] == ["GT"] * 5 and rs[0]["bit_depth"] == "8"

    seq(in_tmp / "4KRD" / "004", "blurry", names=["1.jpg", "2.jpg"])
    seq(in_tmp / "4KRD" / "012", "blurry", names=["1.jpg", "2.jpg"])
    rc, out, err = cli(capsys, "import", "4krd", "4KRD", "--no-progress", "--no-hash")
    assert rc == 0, err
    assert out.splitlines() == ["4KRD has no train/val/test folders: every clip is 'train' (choose with --split)",
                                "imported 4krd: 2 train clips (4 pairs) -> manifests/4krd.csv"]
    seq(in_tmp / "4KRDs" / "test" / "004", "blurry", names=["1.jpg", "2.jpg"])
    seq(in_tmp / "4KRDs" / "train" / "012", "blurry", names=["1.jpg", "2.jpg"])
    rc, out, err = cli(capsys, "import", "4krd", "4KRDs", "--no-progress", "--out", "manifests/k.csv")
    assert rc == 0, err
    assert out.strip() == "imported 4krd: 1 train clip (2 pairs), 1 test clip (2 pairs) -> manifests/k.csv"
    for m in ("dvd", "4krd", "k"):
        assert cli(capsys, "verify", f"manifests/{m}.csv", "--no-progress")[0] == 0


def _rm(p: Path) -> None:
    shutil.rmtree(p) if p.is_dir() else p.unlink()


def _resize(p: Path) -> None:
    img(p, w=32)


G = "data/GOPRO_Large"
S = f"{G}/train/GOPR0372_07_00"
REJECTIONS = {
    "missing dir": ("gopro", "nope", None, "nope: no such folder"),
    "no split folders": ("gopro", "data", lambda: [_rm(Path(G, s)) for s in ("train", "test")],
                         "data/GOPRO_Large: no 'train' or 'test' folder (expected GOPRO_Large/{train,test}/<seq>/"),
    "no sharp folder": ("gopro", "data", lambda: _rm(Path(S, "sharp")), f"{S}: no 'sharp' folder"),
    "blur without sharp": ("gopro", "data", lambda: _rm(Path(S, "sharp/000002.png")),
                           f"{S}/blur/000002.png: no matching frame in {S}/sharp (blur has 3 frames, sharp has 2"),
    "sharp without blur": ("gopro", "data", lambda: _rm(Path(S, "blur/000001.png")),
                           f"{S}/sharp/000001.png: no matching frame in {S}/blur (sharp has 3 frames, blur has 2"),
    "empty sequence": ("gopro", "data", lambda: [_rm(p) for p in Path(S, "blur").glob("*.png")],
                       f"{S}/blur: no frames"),
    "size mismatch": ("gopro", "data", lambda: _resize(Path(S, "sharp/000001.png")),
                      f"{S}/sharp/000001.png: 32x16, but 000001.png in {S}/blur is 24x16"),
    "reds seq without sharp": ("reds", "R", lambda: seq(Path("R"), "train_blur/001", "train_sharp/000"),
                               "R/train_blur/001: no matching 'train_sharp/001' folder"),
    "reds blur_comp only": ("reds", "R", lambda: seq(Path("R"), "train_blur_comp/000", "train_sharp/000"),
                            "R: no 'train_blur' or 'val_blur' folder (found 'train_blur_comp': use --blur blur_comp)"),
    "same clip in two splits": ("dvd", "V", lambda: [seq(Path("V", s, "x"), "input", "GT") for s in ("train", "test")],
                                "V/train/x: sequence name 'x' is also used by V/test/x"),
    "split with split folders": ("pairs", "P", lambda: seq(Path("P/train/c")), "--split only applies"),
}


@pytest.mark.parametrize("case", list(REJECTIONS))
def test_rejections(in_tmp, capsys, case):
    fmt, d, damage, expected = REJECTIONS[case]
    gopro(in_tmp / "data")
    if damage:
        damage()
    extra = ["--split", "val"] if case == "split with split folders" else []
    rc, out, err = cli(capsys, "import", fmt, d, "--no-progress", *extra)
    assert rc != 0
    assert len(err.strip().splitlines()) == 1, err
    assert expected in err, err
    assert not list(in_tmp.glob("manifests/*.csv"))


def test_import_never_overwrites_a_synthesized_manifest(in_tmp, capsys):
    gopro(in_tmp / "data")
    Path("manifests").mkdir()
    Path("manifests/gopro.csv").write_text("clip_id\n")
    Path("manifests/gopro.json").write_text(json.dumps({"config": {"window": 13}}))
    rc, out, err = cli(capsys, "import", "gopro", "data", "--no-progress")
    assert rc != 0 and "manifests/gopro.csv: already holds a manifest made by synthesize" in err
    assert Path("manifests/gopro.csv").read_text() == "clip_id\n"
    rc, out, err = cli(capsys, "import", "gopro", "data", "--no-progress", "--out", "manifests/g2.csv")
    assert rc == 0
    rc, out, err = cli(capsys, "import", "gopro", "data", "--no-progress", "--out", "manifests/g2.csv")
    assert rc == 0  # re-importing over its own output is fine


def test_imported_gopro_mixed_with_a_synthesized_manifest_trains(in_tmp, capsys):
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "train"))
    from trainkit import make_manifest

    from uhdvd_model.train.config import TrainConfig
    from uhdvd_model.train.loop import train

    gopro(in_tmp / "data")
    rc, out, err = cli(capsys, "import", "gopro", "data", "--no-progress")
    assert rc == 0, err
    synth = make_manifest(in_tmp / "s", clips=(("a", "train", 4), ("b", "train", 4)), h=16, w=24,
                          name="manifests/4krd.csv")
    cfg = TrainConfig(manifest=["manifests/gopro.csv", str(synth)], manifest_weights=[1, 1], arch="trainkit:tiny",
                      clip_len=2, crop=16, steps=3, workers=0, out="run", log_every=1)
    s = train(cfg, progress=False)
    log = Path("run/log.txt").read_text()
    assert s["steps"] == 3 and "data: gopro test: 1 clip(s)" in log and "data: 4krd train: 2 clip(s)" in log
    val_line = next(line for line in log.splitlines() if "validation:" in line)
    assert "gopro/GOPR0374_11_00" in val_line or "gopro/GOPR0372_07_00" in val_line
    assert "GOPR0384_11_00" not in val_line  # the GoPro test sequence never validates
