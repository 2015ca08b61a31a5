"""uhdvd-eval end to end: table with baseline and several weights, CSV, PNG, saved images."""

from __future__ import annotations

import csv
import math
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "train"))
from trainkit import make_manifest  # noqa: E402

from uhdvd_model.cli_eval import main  # noqa: E402
from uhdvd_model.eval import metrics as M  # noqa: E402

BIN = Path(sys.executable).parent


def _weights(tmp_path):
    import torch

    from uhdvd_model.arch import build_model
    from uhdvd_model.weights import save_weights

    torch.manual_seed(0)
    save_weights(build_model("uhdvd"), tmp_path / "w1.safetensors", {})
    torch.manual_seed(1)
    save_weights(build_model("uhdvd"), tmp_path / "other/w2.safetensors", {})
    return [str(tmp_path / "w1.safetensors"), str(tmp_path / "other/w2.safetensors")]


def test_eval_cli_table_csv_chart_images(in_tmp, capsys):
    man = make_manifest(in_tmp, clips=(("a", "train", 2), ("c", "test", 2), ("d", "test", 1)))
    ws = _weights(in_tmp)
    with pytest.raises(SystemExit) as e:
        main(["--manifest", str(man), "--weights", *ws, "--device", "cpu", "--save-images", "imgs",
              "--no-progress"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "blurry input" in out and "w1" in out and "w2" in out
    assert "no border crop" in out and "gaussian_weights=True" in out and "rgb2ycbcr" in out
    assert "PSNR (dB)" in out and "SSIM (Y)" in out and "runtime per frame" in out
    rows = list(csv.DictReader(open("eval/eval_test.csv")))
    assert [(r["method"], r["clip"]) for r in rows] == [
        (m, c) for m in ("blurry input", "w1", "w2") for c in ("c", "d", "mean")]
    # the baseline row is the blurry frames' own score
    from uhdvd_data.common.images import read_image

    b, s = read_image("dataset/test/d/blur/000000.png"), read_image("dataset/test/d/sharp/000000.png")
    assert float(rows[1]["psnr"]) == pytest.approx(M.psnr(b, s), abs=1e-5)
    assert math.isnan(float(rows[0]["ms_model"])) and math.isnan(float(rows[0]["ms_end_to_end"]))
    assert 0 < float(rows[3]["ms_model"]) <= float(rows[3]["ms_end_to_end"])
    assert Path("eval/eval_test.png").read_bytes()[:4] == b"\x89PNG"
    saved = sorted(p.relative_to("imgs").as_posix() for p in Path("imgs").rglob("*.png"))
    assert saved == ["w1/c/000000.png", "w1/c/000001.png", "w1/d/000000.png",
                     "w2/c/000000.png", "w2/c/000001.png", "w2/d/000000.png"]
    # saved outputs score exactly as reported (rounded 8-bit as saved)
    got = [M.psnr(read_image(f"imgs/w2/c/00000{i}.png"), read_image(f"dataset/test/c/sharp/00000{i}.png"))
           for i in range(2)]
    assert float(rows[6]["psnr"]) == pytest.approx(sum(got) / 2, abs=1e-5)


def test_eval_without_weights_scores_the_newest_training_run(in_tmp, capsys):
    man = make_manifest(in_tmp, clips=(("a", "train", 2), ("c", "test", 2)))
    _weights(in_tmp)
    (in_tmp / "runs/r1").mkdir(parents=True)
    for ext in ("safetensors", "json"):
        (in_tmp / f"w1.{ext}").rename(in_tmp / f"runs/r1/weights.{ext}")
    with pytest.raises(SystemExit) as e:
        main(["--manifest", str(man), "--device", "cpu", "--no-progress"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "--weights runs/r1/weights.safetensors (the newest training run)" in out and "r1/weights" in out
    with pytest.raises(SystemExit) as e:  # --weights with no file: the blurry input alone
        main(["--manifest", str(man), "--device", "cpu", "--no-progress", "--weights"])
    assert e.value.code == 0 and "r1/weights" not in capsys.readouterr().out


def test_eval_cli_errors_are_one_line(in_tmp):
    man = make_manifest(in_tmp, clips=(("a", "train", 2),))
    r = subprocess.run([str(BIN / "uhdvd-eval"), "--manifest", str(man)], capture_output=True, text=True)
    assert r.returncode == 2 and "no clips in split 'test'" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run([str(BIN / "uhdvd-eval"), "--manifest", str(man), "--split", "train", "--weights", "nope"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "nope: no such weights" in r.stderr


@pytest.mark.slow
def test_eval_accepts_authors_checkpoint_folder(in_tmp, capsys):
    """A folder of encoder_lv*/decoder_lv*.pkl state dicts (the released 4KRD layout) works as --weights."""
    import torch

    from uhdvd_model.arch import build_model

    man = make_manifest(in_tmp, clips=(("c", "test", 1),))
    torch.manual_seed(0)
    sd = build_model("uhdvd_official").state_dict()
    folder = in_tmp / "4KRD"
    folder.mkdir()
    for kind in ("encoder", "decoder"):
        for s in range(1, 5):
            pre = f"{kind}_lv{s}."
            torch.save({k[len(pre):]: v for k, v in sd.items() if k.startswith(pre)}, folder / f"{pre[:-1]}.pkl")
    with pytest.raises(SystemExit) as e:
        main(["--manifest", str(man), "--weights", str(folder), "--device", "cpu", "--no-progress"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "4KRD" in out
    rows = list(csv.DictReader(open("eval/eval_test.csv")))
    assert [r["method"] for r in rows] == ["blurry input", "blurry input", "4KRD", "4KRD"]
    assert 0 < float(rows[2]["psnr"]) < 100
