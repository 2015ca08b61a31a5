from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def _seed_and_one_thread():
    """Seeded, and one intra-op thread while a model test runs (restored after): the 2 shared cores are
    oversubscribed by other jobs and OpenMP's spinning threads then make tiny convolutions 5-10x slower."""
    torch.manual_seed(0)
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
