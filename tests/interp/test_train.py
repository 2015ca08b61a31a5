"""train-interp: a few tiny steps, checkpoints, resume, and the weights work for interpolation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from uhdvd_data.render import HELDOUT_PHOTOS


@pytest.mark.slow
def test_train_resume_and_use(in_tmp, capsys):
    from uhdvd_data.cli import main
    from uhdvd_data.interp.methods import NetworkMethod
    from uhdvd_data.interp.weights_io import load_interp_weights

    from .conftest import moving_frames

    args = ["train-interp", "--steps", "2", "--crop", "32", "--batch", "2", "--crops-per-sample", "2",
            "--render", "96x64", "--kernel-size", "5", "--out", "run", "--device", "cpu", "--log-every", "1",
            "--nonrigid", "0.5"]
    with pytest.raises(SystemExit) as e:
        main(args)
    assert e.value.code == 0
    assert Path("run/last.safetensors").is_file() and Path("run/state.pt").is_file()
    meta = json.loads(Path("run/last.json").read_text())
    assert meta["steps"] == 2 and meta["k"] == 5 and not set(meta["photos"]) & set(HELDOUT_PHOTOS)
    assert meta["nonrigid"] == 0.5
    with pytest.raises(SystemExit) as e:
        main([*args[:2], "3", *args[3:], "--resume"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "resumed" in out and "step 3" in out
    model, meta, sha = load_interp_weights("run/last.safetensors")
    assert meta["steps"] == 3 and len(sha) == 64
    f0, f1 = moving_frames(2)
    m = NetworkMethod(model)
    assert m.frame(m.prepare(f0, f1), 0.5).shape == f0.shape


def test_bad_weights_file_is_one_line_error(in_tmp):
    from uhdvd_data.common.errors import UserError
    from uhdvd_data.interp.weights_io import load_interp_weights

    Path("w.safetensors").write_bytes(b"not a checkpoint")
    with pytest.raises(UserError, match="w.safetensors"):
        load_interp_weights("w.safetensors")


def test_packaged_checkpoint_and_auto_decision(monkeypatch):
    import json as _json

    from uhdvd_data.interp.pipeline import make_method
    from uhdvd_data.interp.weights_io import PACKAGE_WEIGHTS, load_interp_weights, packaged_weights_status

    if not PACKAGE_WEIGHTS.is_file():
        pytest.skip("no packaged checkpoint")
    assert PACKAGE_WEIGHTS.stat().st_size <= 20 * 2**20
    assert PACKAGE_WEIGHTS.with_name("MODEL_CARD.md").is_file()
    model, meta, sha = load_interp_weights(PACKAGE_WEIGHTS)
    assert not set(meta["photos"]) & set(HELDOUT_PHOTOS)
    monkeypatch.delenv("UHDVD_INTERP_WEIGHTS", raising=False)
    msgs = []
    m = make_method("auto", device="cpu", warn_fn=msgs.append)
    card = _json.loads(PACKAGE_WEIGHTS.with_suffix(".json").read_text())
    if card.get("auto_use") is False:
        assert packaged_weights_status() == "disabled"
        assert m.name == "dis" and msgs and "did not clear their model card's bar" in msgs[0]
        assert make_method("network", device="cpu").weights_sha256 == sha
    else:
        assert m.name == "network" and m.weights_sha256 == sha and not msgs


@pytest.mark.parametrize("motion", ["fused", "plain"])
def test_make_batch_with_several_samples(motion):
    """Each sample gets its own pair motion (a batch of several rendered samples, as with --crops-per-sample < --batch)."""
    import numpy as np

    from uhdvd_data.interp.train import make_batch, synthetic_sample

    rng = np.random.default_rng(0)
    samples = [synthetic_sample(rng, (48, 64), ("astronaut",), 8.0) for _ in range(3)]
    (w0, w1, x0, x1, wt, cand, gt), ts = make_batch(samples, 32, rng, "cpu", crops_per_sample=2, motion=motion)
    assert w0.shape == (6, 3, 32, 32) and wt.shape == (6, 1, 32, 32) and ts.shape == (6,)
    assert cand.shape == (6, 8, 32, 32) and gt.shape == (6, 3, 32, 32)


def test_training_pre_warps_follow_the_inference_trajectories():
    """Synthetic samples carry the captured frames at -1 and 2, and their pre-warp is the one interpolation computes
    from the same four frames (quadratic); footage-like tuples without outer frames mix in (linear)."""
    import numpy as np
    import torch

    from uhdvd_data.interp import motion as mm
    from uhdvd_data.interp.methods import DisMethod
    from uhdvd_data.interp.train import make_batch, sample_motion, synthetic_sample

    rng = np.random.default_rng(3)
    f0, f1, ft, t, (fm, f2) = synthetic_sample(rng, (180, 320), ("astronaut",), 24.0)
    got = sample_motion([fm, f0, f1, f2], "cpu", "fused", "quadratic")
    want = DisMethod().prepare(f0, f1, before=fm, after=f2).motion
    assert got.fused.acc0 is not None and got.fused.acc1 is not None
    assert torch.equal(got.fused.acc0, want.fused.acc0) and torch.equal(got.fused.acc1, want.fused.acc1)
    x0, x1 = (torch.from_numpy(f).permute(2, 0, 1)[None].float() / 255.0 for f in (f0, f1))
    assert all(torch.equal(a, b) for a, b in zip(mm.prewarp(x0, x1, got, t), mm.prewarp(x0, x1, want, t)))
    assert sample_motion([fm, f0, f1, f2], "cpu", "fused", "linear").fused.acc0 is None
    (w0, *_rest, gt), ts = make_batch([(f0, f1, ft, t, (fm, f2)), (f0, f1, ft, t)], 64, rng, "cpu", crops_per_sample=1)
    assert w0.shape == (2, 3, 64, 64) and gt.shape == (2, 3, 64, 64) and ts.shape == (2,)


def test_footage_triplets_are_downscaled_and_bounded():
    """Real-footage triplets: frames kept at a long side <= MAX_SIDE (a 4K clip would otherwise hold 25 MB a frame),
    at most max_per_clip + 2 frames read per clip, each triplet (i, i+2 in, i+1 truth) cropped to `size`."""
    from clipgen import make_clip

    from uhdvd_data.interp import train as tr

    clip = make_clip(size=(1600, 320), frames=12)
    ds = tr.FootageTriplets([clip], np.random.default_rng(0), size=48, max_per_clip=4)
    assert 0 < len(ds) <= 4
    a, b, c = ds.items[0]
    assert a.shape == (256, 1280, 3) and a.dtype == np.uint8  # 1600x320 -> 1280x256
    f0, f1, truth, t = ds.sample()
    assert f0.shape == f1.shape == (48, 48, 3) and truth.shape == (48, 48, 3) and t == 0.5


def test_footage_triplets_of_a_vfr_clip_are_recorded_frames_halfway_in_time():
    """Triplets are recorded frames whose middle one is halfway in time. The VFR test clip (intervals 1.3, 0.7, 1.0
    frames repeating, one frame dropped) has no two equal intervals in a row, so it gives none; put on a grid it
    gave triplets with a repeated frame (b == a teaches the network to freeze) or a truth off t = 0.5."""
    from clipgen import make_clip

    from uhdvd_data.interp import train as tr

    ds = tr.FootageTriplets([make_clip(size=(96, 64), frames=12, vfr=True)], np.random.default_rng(0), size=48)
    assert len(ds) == 0 and ds.rejected["uneven"] == 10
