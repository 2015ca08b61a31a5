"""uhdvd-train from the command line with the real UHDVD network and only --manifest (+ a tiny config)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from trainkit import make_manifest

BIN = Path(sys.executable).parent


@pytest.mark.slow
def test_train_with_only_manifest_then_eval_and_init(in_tmp):
    make_manifest(in_tmp, clips=(("a", "train", 2), ("b", "train", 2), ("c", "test", 1)), h=64, w=96)
    # the defaults, except a budget a test can afford (the default is 300000 steps of 5-frame clips)
    Path("tiny.yaml").write_text(yaml.safe_dump({"steps": 1, "clip_len": 1, "val_frames": 1}))
    r = subprocess.run([str(BIN / "uhdvd-train"), "--manifest", "manifests/4krd.csv", "--config", "tiny.yaml"],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    run = Path("runs/4krd-uhdvd")
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    assert summary["steps"] == 1 and summary["val_psnr_blurry"] > 0
    cfg = yaml.safe_load((run / "config.yaml").read_text())
    assert cfg["crop"] == 128 and cfg["arch"] == "uhdvd" and cfg["device"] == "cpu" and cfg["lr"] == 1e-4
    for f in ("weights.safetensors", "weights.json", "ema.safetensors", "best.safetensors", "curves.png",
              "log.txt", "checkpoints/step_00000001/state.pt", "checkpoints/step_00000001/done.json"):
        assert (run / f).is_file(), f
    assert "64x96" not in r.stderr and "replicate-padded" not in r.stdout  # auto crop: no warning needed
    from uhdvd_model.weights import load_weights

    model, meta = load_weights(run / "weights.safetensors")
    assert meta["train_config"]["crop"] == 128
    # a second run without --resume refuses to overwrite; --init fine-tunes from the weights in a new folder
    r = subprocess.run([str(BIN / "uhdvd-train"), "--manifest", "manifests/4krd.csv", "--config", "tiny.yaml"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "pass --resume" in r.stderr and "Traceback" not in r.stderr
    # the trained weights evaluate with uhdvd-eval
    r = subprocess.run([str(BIN / "uhdvd-eval"), "--manifest", "manifests/4krd.csv", "--weights",
                        str(run / "weights.safetensors"), "--no-progress"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "4krd-uhdvd/weights" in r.stdout


def test_bad_inputs_are_one_line(in_tmp):
    man = make_manifest(in_tmp, clips=(("a", "train", 2),))
    r = subprocess.run([str(BIN / "uhdvd-train"), "--manifest", "nope.csv"], capture_output=True, text=True)
    assert r.returncode == 2 and "nope.csv: no such manifest" in r.stderr
    r = subprocess.run([str(BIN / "uhdvd-train"), "--manifest", str(man), "--crop", "100"], capture_output=True,
                       text=True)
    assert r.returncode == 2 and "multiple of 128" in r.stderr, r.stderr
    Path("bad.yaml").write_text("stepz: 3\n")
    r = subprocess.run([str(BIN / "uhdvd-train"), "--manifest", str(man), "--config", "bad.yaml"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "unknown setting 'stepz'" in r.stderr
