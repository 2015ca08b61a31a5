"""Small helpers for the model tests."""

from __future__ import annotations

import torch


def rand_img(*shape, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(*shape, generator=g) - 0.5
