"""`--cluster` and its options (shared by `interpolate`, `synthesize` and `build`); no Ray import here, so `--help`
and the plain (joblib) path never need Ray."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..common.errors import UserError

if TYPE_CHECKING:
    from .runner import ClusterRunner

ADDRESSES = "ray | ray://HOST:PORT | local-ray"


class ClipsFailed(UserError):
    """Some clips of a cluster run failed (each was reported as it failed); the others finished."""

    exit_code = 1


@dataclass(frozen=True)
class ClusterSpec:
    address: str  # "ray" (join the running cluster), "ray://HOST:PORT" (Ray Client), "local-ray" (start one here)
    max_retries: int = 2  # retries of a task whose worker process died (application errors are never retried)
    gpus_per_task: float | None = None  # None: 1 for a task that computes on CUDA, else 0
    cpus_per_task: float = 1.0

    def device(self, asked: str | None, driver_cuda: bool) -> str:
        """The device the interpolating tasks compute on: --device when given; else cuda when this machine has CUDA,
        or when --gpus-per-task > 0 is given (a head node without a GPU); cpu with --gpus-per-task 0."""
        if asked:
            return asked
        if self.gpus_per_task is None:
            return "cuda" if driver_cuda else "cpu"
        return "cuda" if self.gpus_per_task > 0 else "cpu"

    def gpus(self, cuda: bool) -> float:
        """GPUs a task asks for; `cuda`: whether the task computes on CUDA (the interpolation or self-check device)."""
        if self.gpus_per_task is not None:
            return self.gpus_per_task
        return 1.0 if cuda else 0.0


def add_cluster_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("cluster (Ray; pip install 'uhdvd[ray]')")
    g.add_argument("--cluster", default=None, metavar="ADDRESS",
                   help="run the clips as Ray tasks: ray = join the running cluster (`ray start --head` on one node, "
                   "`ray start --address HEAD:6379` on the others), ray://HOST:PORT = a remote cluster through Ray "
                   "Client, local-ray = start one on this machine. Run from a folder that every node mounts at the "
                   "same path (inputs and outputs live there); the manifest is written by this process at the end. "
                   "A failed clip is reported and the others finish (exit status 1)")
    g.add_argument("--max-retries", type=int, default=2, metavar="N",
                   help="retries of a task whose worker process died (default 2); an error in a clip (a bad file) "
                   "is not retried")
    g.add_argument("--gpus-per-task", type=float, default=None, metavar="G",
                   help="GPUs each task that computes on CUDA asks for (default 1 when the device is CUDA, i.e. "
                   "--device cuda, or no --device and CUDA on this machine; else 0; 0.5 = two clips per GPU)")
    g.add_argument("--cpus-per-task", type=float, default=1.0, metavar="C",
                   help="CPUs each task asks for (default 1; also its torch threads)")


def spec_from_args(args: argparse.Namespace) -> ClusterSpec | None:
    """The ClusterSpec of parsed options (checked), or None without --cluster."""
    address = getattr(args, "cluster", None)
    if not address:
        return None
    if address not in ("ray", "local-ray") and not (address.startswith("ray://") and len(address) > 6):
        raise UserError(f"--cluster {address!r}: expected {ADDRESSES}")
    if args.max_retries < 0:
        raise UserError(f"--max-retries must be >= 0 (got {args.max_retries})")
    if args.gpus_per_task is not None and args.gpus_per_task < 0:
        raise UserError(f"--gpus-per-task must be >= 0 (got {args.gpus_per_task})")
    if args.cpus_per_task <= 0:
        raise UserError(f"--cpus-per-task must be > 0 (got {args.cpus_per_task})")
    return ClusterSpec(address, args.max_retries, args.gpus_per_task, args.cpus_per_task)


@contextlib.contextmanager
def cluster_from_args(args: argparse.Namespace, show_progress: bool = True) -> Iterator[ClusterRunner | None]:
    """`with cluster_from_args(args) as runner:` a connected ClusterRunner with --cluster, else None."""
    spec = spec_from_args(args)
    if spec is None:
        yield None
        return
    from .runner import open_cluster

    with open_cluster(spec, show_progress) as runner:
        yield runner
