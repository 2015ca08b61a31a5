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


def test_tv_term_is_the_released_l1_sum_scaled_to_a_512_crop_and_single_output():
    x = torch.zeros(2, 1, 4, 4)
    x[..., :, 2:] = 0.5  # one vertical edge of height 0.5: 4 horizontal differences of 0.5 per image
    area = 512 * 512 / 16
    assert tv_loss(x).item() == pytest.approx(4 * 0.5 * area)
    x[1] = 0  # the second image is flat: batch mean halves it
    assert tv_loss(x).item() == pytest.approx(4 * 0.5 * area / 2)
    big = torch.zeros(1, 1, 8, 8)  # the same edge at twice the size: twice the edge length over four times the area
    big[..., :, 4:] = 0.5
    assert tv_loss(big).item() == pytest.approx(8 * 0.5 * 512 * 512 / 64)
    x = x[:1] * 2  # edge of height 1
    tgt = torch.zeros(1, 1, 4, 4)
    total, parts = multiscale_loss([x], tgt, tv_weight=3.5e-8)
    assert total.item() == pytest.approx(0.5 + 3.5e-8 * 4 * area, rel=1e-6)  # weight 1 for a single output
    assert parts["tv_term"].item() == pytest.approx(3.5e-8 * 4 * area, rel=1e-6)


def test_tv_term_is_not_negligible_against_the_mse():
    """The old mean-based TV was ~1e-6 of the MSE: make sure the term can matter on a natural-like image."""
    torch.manual_seed(0)
    tgt = F.avg_pool2d(torch.rand(1, 3, 260, 260), 5, stride=1) - 0.5  # smooth texture, 256x256
    out = tgt + 0.02 * torch.randn_like(tgt)
    _, parts = multiscale_loss([out], tgt, tv_weight=3.5e-8)
    assert parts["tv_term"].item() > 0.1 * parts["mse1"].item()  # (at the released weight)


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
