"""Training loop: NaN handling, run-folder rules, kill -9 + --resume determinism, 2-process DDP (gloo)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from trainkit import HERE, TinyNet, make_manifest

from uhdvd_data.common.errors import UserError
from uhdvd_model.train.config import TrainConfig
from uhdvd_model.train.loop import train

BIN = Path(sys.executable).parent
TINY = ["--arch", "trainkit:tiny", "--clip-len", "2", "--crop", "32", "--lr", "1e-3", "--workers", "1",
        "--no-progress"]


def _env(**extra):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
               OMP_NUM_THREADS="1")
    env.update(extra)
    return env


def _cfg(tmp_path, **kw):
    base = dict(manifest=str(make_manifest(tmp_path)), arch="trainkit:tiny", clip_len=1, crop=32, lr=1e-3,
                steps=6, val_every=3, ckpt_every=3, workers=0, out=str(tmp_path / "run"), log_every=1)
    base.update(kw)
    return TrainConfig(**base)


def test_nan_steps_are_skipped_and_counted(tmp_path, capsys):
    cfg = _cfg(tmp_path, arch_kwargs={"nan_calls": [2, 3]})
    s = train(cfg, progress=False)
    assert s["steps"] == 6 and s["skipped_steps"] == 2
    w = load_file(tmp_path / "run/weights.safetensors")
    assert all(torch.isfinite(v).all() for v in w.values())
    assert "step 2: loss is nan; step skipped" in capsys.readouterr().out


def test_repeated_nan_stops_with_one_clear_line(tmp_path):
    cfg = _cfg(tmp_path, arch_kwargs={"nan": True}, max_bad_steps=3)
    with pytest.raises(UserError, match=r"stopped: the loss was NaN/inf on 3 consecutive steps"):
        train(cfg, progress=False)


def test_existing_run_needs_resume_and_resume_extends(tmp_path):
    cfg = _cfg(tmp_path, steps=3)
    train(cfg, progress=False)
    with pytest.raises(UserError, match="pass --resume"):
        train(cfg, progress=False)
    s = train(cfg.replace(steps=6), resume=True, progress=False)
    assert s["steps"] == 6 and s["steps_this_session"] == 3
    assert (tmp_path / "run/config.yaml").is_file() and (tmp_path / "run/curves.png").stat().st_size > 1000
    assert list((tmp_path / "run/tb").iterdir())


def test_no_code_path_reads_the_test_split(tmp_path, monkeypatch):
    """Training, validation and best-weights selection read train/val clips only, even when test is the only
    other split (validation then comes from held-out train clips)."""
    import uhdvd_model.data.clips as clips_mod
    import uhdvd_model.train.setup as setup_mod
    import uhdvd_model.train.validate as val_mod

    seen = []
    for mod in (clips_mod, setup_mod, val_mod):
        real = mod.read_image
        monkeypatch.setattr(mod, "read_image", lambda p, _real=real: (seen.append(str(p)), _real(p))[1])
    man = make_manifest(tmp_path, clips=(("a", "train", 4), ("b", "train", 4), ("c", "train", 4),
                                         ("t", "test", 4)))
    s = train(_cfg(tmp_path, manifest=str(man), val_fraction=0.34), progress=False)
    assert s["val_psnr"] is not None and (tmp_path / "run/best.safetensors").is_file()
    assert seen and not [p for p in seen if "/test/" in p]
    assert "held-out train clip" in (tmp_path / "run/log.txt").read_text()


def test_mixed_manifests_train_with_weights(tmp_path):
    m1 = make_manifest(tmp_path / "g", clips=(("a", "train", 4), ("t", "test", 2)), name="manifests/gopro.csv")
    m2 = make_manifest(tmp_path / "s", clips=(("a", "train", 4), ("v", "val", 3)), name="manifests/4krd.csv")
    s = train(_cfg(tmp_path, manifest=[str(m1), str(m2)], manifest_weights=[1, 3]), progress=False)
    log = (tmp_path / "run/log.txt").read_text()
    assert s["steps"] == 6 and "data: gopro train: 1 clip(s)" in log and "mix: gopro 1, 4krd 3" in log
    assert "4krd: the 'val' split (1 clip(s): 4krd/v)" in log


def _weights(run):
    return load_file(run / "weights.safetensors"), load_file(run / "ema.safetensors")


@pytest.mark.slow
def test_kill9_then_resume_is_bit_identical(tmp_path):
    man = make_manifest(tmp_path)
    args = [str(BIN / "uhdvd-train"), "--manifest", str(man), *TINY, "--steps", "12", "--ckpt-every", "4",
            "--val-every", "6"]
    r = subprocess.run([*args, "--out", str(tmp_path / "a")], env=_env(), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    b = tmp_path / "b"
    p = subprocess.Popen([*args, "--out", str(b)], env=_env(UHDVD_TEST_STEP_DELAY="0.25"),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 90
        while not (b / "checkpoints/step_00000008/done.json").exists():
            assert p.poll() is None and time.time() < deadline, "training ended before the kill"
            time.sleep(0.05)
        os.kill(p.pid, signal.SIGKILL)
    finally:
        p.wait(timeout=30)
    assert p.returncode == -signal.SIGKILL
    assert not (b / "checkpoints/step_00000012").exists()
    r = subprocess.run([*args, "--out", str(b), "--resume"], env=_env(), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "resume: continuing from" in r.stdout and "step 8" in r.stdout
    (wa, ea), (wb, eb) = _weights(tmp_path / "a"), _weights(b)
    assert wa.keys() == wb.keys()
    for k in wa:
        assert torch.equal(wa[k], wb[k]), k
        assert torch.equal(ea[k], eb[k]), k
    for name in ("weights.safetensors", "ema.safetensors"):  # canonical files: same tensors, same bytes
        assert (tmp_path / "a" / name).read_bytes() == (b / name).read_bytes(), name


@pytest.mark.slow
def test_ddp_two_processes_gloo_keep_equal_weights(tmp_path):
    man = make_manifest(tmp_path, clips=(("a", "train", 5), ("b", "train", 5), ("c", "test", 3)))
    out = tmp_path / "ddp"
    script = tmp_path / "rank_dump.py"
    # each rank trains, then dumps its own parameters so the test can compare ranks
    script.write_text(
        "import os, sys, torch\n"
        "import torch.nn.parallel as P\n"
        "import uhdvd_model.train.loop as loop\n"
        "from uhdvd_model.cli_train import build_parser, make_config\n"
        "kept = {}\n"
        "init = P.DistributedDataParallel.__init__\n"
        "def keep(self, module, *a, **k):\n"
        "    kept['m'] = module\n"
        "    init(self, module, *a, **k)\n"
        "P.DistributedDataParallel.__init__ = keep\n"
        "cfg = make_config(build_parser().parse_args(sys.argv[1:]))\n"
        "loop.train(cfg, progress=False)\n"
        "torch.save(kept['m'].state_dict(), os.path.join(cfg.out, 'rank' + os.environ['RANK'] + '.pt'))\n"
    )
    cmd = [str(BIN / "torchrun"), "--nproc_per_node", "2", "--master_port", str(29500 + os.getpid() % 1000),
           str(script), "--manifest", str(man), *TINY[:-1], "--steps", "4", "--val-every", "4", "--ckpt-every", "4",
           "--device", "cpu", "--out", str(out)]
    r = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    s0, s1 = torch.load(out / "rank0.pt"), torch.load(out / "rank1.pt")
    torch.manual_seed(0)
    init = TinyNet().state_dict()  # the loop seeds with --seed (0) before building the model
    assert s0.keys() == s1.keys()
    for k in s0:
        assert torch.equal(s0[k], s1[k]), k
    assert not all(torch.equal(s0[k], init[k]) for k in s0), "no training happened"
    assert "2 process(es)" in (out / "log.txt").read_text()
    w = load_file(out / "weights.safetensors")
    assert all(torch.equal(w[k], s0[k]) for k in w)


def test_auto_clip_len_shortens_to_the_longest_clip(tmp_path, capsys):
    """Default clip length 5; footage whose clips all hold fewer pairs still trains (with a note) at the longest."""
    man = make_manifest(tmp_path, clips=(("a", "train", 3), ("b", "train", 2), ("c", "test", 2)),
                        name="manifests/short.csv")
    s = train(_cfg(tmp_path, manifest=str(man), clip_len=0, steps=2, val_every=2, ckpt_every=2), progress=False)
    assert s["steps"] == 2
    assert "clip_len: 3" in (tmp_path / "run/config.yaml").read_text()
    assert "fewer than the default 5; training on clips of 3" in capsys.readouterr().out
    long = make_manifest(tmp_path / "long", clips=(("a", "train", 6), ("b", "train", 2)))
    train(_cfg(tmp_path, manifest=str(long), clip_len=0, steps=1, val_every=1, ckpt_every=1, out=str(tmp_path / "r2")),
          progress=False)
    assert "clip_len: 5" in (tmp_path / "r2/config.yaml").read_text()
    with pytest.raises(UserError, match="no training clip has 4 consecutive pairs"):
        train(_cfg(tmp_path, manifest=str(man), clip_len=4, out=str(tmp_path / "r3")), progress=False)
