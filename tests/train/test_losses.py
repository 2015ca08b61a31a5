"""Loss weights, target resizing, TV, EMA."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from uhdvd_model.train.ema import EMA
from uhdvd_model.train.losses import multiscale_loss, tv_loss


def test_scale_weights_and_area_targets():
    torch.manual_seed(0)
    tgt = torch.rand(1, 3, 32, 32) - 0.5
    outs = [torch.zeros(1, 3, 32 // 2 ** s, 32 // 2 ** s) for s in range(4)]
    total, parts = multiscale_loss(outs, tgt, tv_weight=0.0)
    want = [F.avg_pool2d(tgt, 2 ** s).pow(2).mean() if s else tgt.pow(2).mean() for s in range(4)]
    for s in range(4):
        assert parts[f"mse{s + 1}"].item() == pytest.approx(want[s].item(), rel=1e-5)
    expect = 0.7 * want[0] + 0.15 * want[1] + 0.1 * want[2] + 0.05 * want[3]
    assert total.item() == pytest.approx(expect.item(), rel=1e-5)


def test_tv_term_and_single_output():
    x = torch.zeros(1, 1, 4, 4)
    x[..., :, 2:] = 1.0  # one vertical edge: 4 of 12 horizontal differences are 1
    assert tv_loss(x).item() == pytest.approx(4 / 12)
    tgt = torch.zeros(1, 1, 4, 4)
    total, parts = multiscale_loss([x], tgt, tv_weight=1e-7)
    assert total.item() == pytest.approx(0.5 + 1e-7 * 4 / 12, rel=1e-6)  # weight 1 for a single output
    total2, _ = multiscale_loss([x], tgt, tv_weight=1.0)
    assert total2.item() == pytest.approx(0.5 + 4 / 12, rel=1e-6)


def test_ema_moves_towards_weights():
    m = torch.nn.Linear(2, 2)
    e = EMA(m, decay=0.5)
    with torch.no_grad():
        for p in m.parameters():
            p.add_(1.0)
    before = e.module.weight.clone()
    e.update(m)
    d = min(0.5, 2 / 11)
    assert torch.allclose(e.module.weight, d * before + (1 - d) * m.weight)


def test_lr_schedule_warmup_then_step_decay():
    from uhdvd_model.train.config import TrainConfig
    from uhdvd_model.train.loop import lr_factor

    cfg = TrainConfig(warmup=4, decay_every=10, decay_rate=0.1)
    got = [lr_factor(s, cfg) for s in (0, 1, 3, 9, 10, 25)]
    assert got == pytest.approx([0.25, 0.5, 1.0, 1.0, 0.1, 0.01])
    assert lr_factor(0, TrainConfig()) == 1.0  # the paper: no warm-up
