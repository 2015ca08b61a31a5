"""DataLoader for training: workers decode PNG/JPEG, pinned memory on CUDA, DistributedSampler order under DDP.

`ClipSampler` yields `(epoch, index)` items so augmentation is a pure function of (seed, epoch, index), and can start
in the middle of an epoch (`skip`), which is how a resumed run continues exactly where the checkpoint was taken.
With per-sample `weights` (mixing several manifests at chosen shares) an epoch is `n` draws with replacement, seeded
by (seed, epoch), dealt to the ranks in turn.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

import torch
from torch.utils.data import DataLoader, DistributedSampler, Sampler


class ClipSampler(Sampler):
    """One epoch of shuffled sample indices for this rank, as (epoch, index).

    Without weights: torch DistributedSampler order (every sample once per epoch). With weights: n draws with
    replacement in proportion to the weights.
    """

    def __init__(self, n: int, seed: int, rank: int = 0, world_size: int = 1, epoch: int = 0, skip: int = 0,
                 weights: Sequence[float] | None = None):
        self.order = DistributedSampler(range(n), num_replicas=world_size, rank=rank, shuffle=True, seed=seed,
                                        drop_last=False)
        self.n, self.seed, self.rank, self.world_size = n, seed, rank, world_size
        self.weights = None if weights is None else torch.as_tensor(weights, dtype=torch.float64)
        self.epoch, self.skip = epoch, skip

    def __len__(self) -> int:
        return len(self.order) - self.skip

    def _indices(self) -> list[int]:
        if self.weights is None:
            self.order.set_epoch(self.epoch)
            return [int(i) for i in self.order]
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        draws = torch.multinomial(self.weights, len(self.order) * self.world_size, replacement=True, generator=g)
        return [int(i) for i in draws[self.rank::self.world_size]]

    def __iter__(self) -> Iterator[tuple[int, int]]:
        for i, idx in enumerate(self._indices()):
            if i >= self.skip:
                yield (self.epoch, idx)


def infinite_batches(dataset, batch_size: int, seed: int, rank: int, world_size: int, workers: int,
                     pin_memory: bool, epoch: int = 0, batch_in_epoch: int = 0,
                     weights: Sequence[float] | None = None):
    """Yield (epoch, batch_in_epoch_after, batch) forever; the position after each batch is what a checkpoint stores.

    The sampler runs in this process, so one loader with persistent workers serves every epoch.
    """
    sampler = ClipSampler(len(dataset), seed, rank, world_size, epoch, skip=batch_in_epoch * batch_size,
                          weights=weights)
    loader = DataLoader(dataset, batch_size=batch_size, sampler=sampler, num_workers=workers,
                        pin_memory=pin_memory, drop_last=True, persistent_workers=workers > 0,
                        prefetch_factor=4 if workers > 0 else None)
    if len(sampler.order) < batch_size:
        raise ValueError("the training set is smaller than one batch")
    while True:
        sampler.epoch, sampler.skip = epoch, batch_in_epoch * batch_size
        for batch in loader:
            batch_in_epoch += 1
            yield epoch, batch_in_epoch, batch
        epoch, batch_in_epoch = epoch + 1, 0


class WaitMeter:
    """Fraction of wall time spent waiting for data: time inside next(iterator) / total time."""

    def __init__(self):
        self.wait = 0.0
        self.start = time.perf_counter()

    def next(self, it):
        t0 = time.perf_counter()
        item = next(it)
        self.wait += time.perf_counter() - t0
        return item

    @property
    def fraction(self) -> float:
        total = time.perf_counter() - self.start
        return self.wait / total if total > 0 else 0.0

    def reset(self) -> None:
        self.wait, self.start = 0.0, time.perf_counter()
