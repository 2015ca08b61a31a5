"""Checkpoint atomicity and choice of the latest valid checkpoint."""

from __future__ import annotations

import pytest
import torch
from trainkit import TinyNet

from uhdvd_model.train import checkpoint as ck


def _save(run, step, model, **kw):
    return ck.save_checkpoint(run, step, model, {"step": step, "rng": ck.rng_state()}, {"arch": "trainkit:tiny"},
                              **kw)


def test_latest_valid_skips_corrupt_and_partial(tmp_path):
    m = TinyNet()
    run = tmp_path / "run"
    for s in (10, 20, 30, 40):
        _save(run, s, m, keep=10)
    assert ck.latest_valid(run).name == "step_00000040"
    # 40: truncated state (crash during a copy, disk full); 30: no done.json (partial)
    p = run / "checkpoints/step_00000040/state.pt"
    p.write_bytes(p.read_bytes()[:50])
    (run / "checkpoints/step_00000030/done.json").unlink()
    (run / "checkpoints/.tmp-step_00000050.abc").mkdir()  # leftover of a killed save
    msgs = []
    got = ck.latest_valid(run, log=msgs.append)
    assert got.name == "step_00000020"
    assert any("step 40" in m and "corrupt" in m for m in msgs) and any("step 30" in m for m in msgs)
    st = ck.load_state(got)
    assert st["step"] == 20


def test_save_is_atomic_on_failure(tmp_path, monkeypatch):
    m = TinyNet()
    run = tmp_path / "run"
    _save(run, 10, m)

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", boom)
    with pytest.raises(OSError):
        _save(run, 20, m)
    names = sorted(p.name for p in (run / "checkpoints").iterdir())
    assert names == ["step_00000010"]  # no partial folder, no temp leftover


def test_keep_prunes_old_and_rng_roundtrip(tmp_path):
    m = TinyNet()
    run = tmp_path / "run"
    for s in (1, 2, 3, 4):
        _save(run, s, m, keep=2)
    assert [s for s, _ in ck.list_checkpoints(run)] == [4, 3]
    st = ck.load_state(ck.latest_valid(run))
    a = torch.rand(3)
    ck.set_rng_state(st["rng"])
    import numpy as np

    ck.set_rng_state(st["rng"])
    x1 = (torch.rand(3), np.random.rand(), __import__("random").random())
    ck.set_rng_state(st["rng"])
    x2 = (torch.rand(3), np.random.rand(), __import__("random").random())
    assert torch.equal(x1[0], x2[0]) and x1[1:] == x2[1:]
    del a
    m2 = TinyNet()
    ck.load_model_file(m2, ck.latest_valid(run) / "model.safetensors")
    assert all(torch.equal(a, b) for a, b in zip(m.state_dict().values(), m2.state_dict().values()))
