"""Ray side of `--cluster`: connect, run per-clip tasks with bounded retries, report failures by clip, show progress.

A task is one call of the very function the plain path runs per clip (interp.pipeline.clip_job, synth.dataset
run_chunk, synth.quality_run.chunk_quality, synth.fused.build_clip), in the driver's working directory (which every
node must mount at the same path), so relative paths, outputs and manifests are the ones a single-machine run makes.
Per clip (several calls for synthesize's chunks of windows) the results reach the caller only once all its calls
succeeded. A task whose worker process dies is retried `max_retries` times by Ray; an exception raised by the task
(a bad file: UserError) is not retried. Either way the clip is reported as one line naming it and the cause, its
other tasks are cancelled, and the other clips go on.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ..common.errors import UserError
from .options import ClipsFailed, ClusterSpec

HOLD_ENV = "UHDVD_CLUSTER_TEST_HOLD"  # tests only: a folder; the task of clip X finding X.hold there waits (_hold)
POLL_S = 0.5  # driver: progress poll period
REPORT_S = 0.25  # task: at most one progress message per this period


def _first_line(e: BaseException | str) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


class _Progress:
    """Ray actor (no CPU): units done per call, the count of its latest attempt (a retried call starts again)."""

    def __init__(self) -> None:
        self.done: dict[int, int] = {}

    def set(self, call: int, n: int) -> None:
        self.done[call] = n

    def total(self) -> int:
        return sum(self.done.values())


class _Reporter:
    """The `progress(n)` callback inside a task: counts units, tells the actor at most every REPORT_S."""

    def __init__(self, actor: Any, call: int, key: str):
        self.actor, self.call, self.key = actor, call, key
        self.n = 0
        self.sent = time.monotonic()
        self.hold_at = _hold_at(key)

    def __call__(self, n: int = 1) -> None:
        self.n += n
        if self.hold_at is not None and self.n >= self.hold_at:
            self.hold_at = None
            _hold(self.key)
        if time.monotonic() - self.sent >= REPORT_S:
            self.sent = time.monotonic()
            self.actor.set.remote(self.call, self.n)

    def flush(self) -> None:
        import ray

        with contextlib.suppress(Exception):  # a progress count never fails a clip
            ray.get(self.actor.set.remote(self.call, self.n))


def _hold_at(key: str) -> int | None:
    """Tests kill a worker mid-clip: with $UHDVD_CLUSTER_TEST_HOLD/<clip>.hold present (text: a unit count N, default
    1), the task of the clip holds once it has done N units (frames, pairs): see _hold."""
    folder = os.environ.get(HOLD_ENV)
    try:
        return int((Path(folder) / f"{key}.hold").read_text().strip() or 1) if folder else None
    except (OSError, ValueError):
        return None


def _hold(key: str) -> None:
    """Removes <clip>.hold (so the retry runs through), writes the worker's pid to <clip>.pid and waits to be
    killed."""
    folder = Path(os.environ[HOLD_ENV])
    try:
        (folder / f"{key}.hold").unlink()
    except FileNotFoundError:
        return
    (folder / f"{key}.pid").write_text(str(os.getpid()))
    time.sleep(600)


def _task(fn: Callable, cwd: str, key: str, call: int, args: tuple, kwargs: dict, actor: Any, threads: int) -> Any:
    """Body of every Ray task: fn(*args, **kwargs) in the driver's working directory (+ progress= with an actor)."""
    import torch

    if not os.path.isdir(cwd):
        raise UserError(f"{cwd}: no such folder on node {socket.gethostname()} (run from a folder that every node "
                        "mounts at the same path)")
    torch.set_num_threads(threads)
    old = os.getcwd()
    os.chdir(cwd)
    rep = _Reporter(actor, call, key) if actor is not None else None
    try:
        return fn(*args, **(dict(kwargs, progress=rep) if rep else kwargs))
    finally:
        os.chdir(old)
        if rep is not None:
            rep.flush()


class ClusterRunner:
    """Runs per-clip calls as Ray tasks (see the module docstring). `failed`: clip id -> cause, over all runs."""

    def __init__(self, spec: ClusterSpec, show_progress: bool = True):
        import ray

        self.spec = spec
        self.show_progress = show_progress
        self.failed: dict[str, str] = {}
        self.cwd = os.getcwd()
        self._remote = ray.remote(_task)

    def gpus(self, cuda: bool) -> float:
        return self.spec.gpus(cuda)

    def run(self, fn: Callable, calls: Sequence[tuple[str, tuple]], *, desc: str, unit: str,
            total: int | None = None, gpus: float | Sequence[float] = 0.0, progress: bool = True,
            count: Callable[[Any], int] | None = None, kwargs: dict | None = None) -> Iterator[tuple[int, Any]]:
        """fn(*args, **kwargs) for each (clip_id, args) of `calls` on the cluster; yields (call index, result) for
        every call of a clip once all of that clip's calls succeeded. Calls of clips that failed before are skipped.
        progress: fn takes progress=callback(n) (units done); count: units of a finished call's result otherwise."""
        import ray
        from tqdm import tqdm

        gp = [gpus] * len(calls) if isinstance(gpus, (int, float)) else list(gpus)
        todo = [i for i, (key, _) in enumerate(calls) if key not in self.failed]
        by_key: dict[str, set[int]] = {}
        for i in todo:
            by_key.setdefault(calls[i][0], set()).add(i)
        actor = ray.remote(num_cpus=0)(_Progress).remote() if progress and todo else None
        threads = max(1, int(self.spec.cpus_per_task))
        refs: dict[Any, int] = {}
        for i in todo:
            key, args = calls[i]
            opts = dict(num_cpus=self.spec.cpus_per_task, num_gpus=gp[i], max_retries=self.spec.max_retries,
                        retry_exceptions=False, name=f"{desc}:{key}")
            refs[self._remote.options(**opts).remote(fn, self.cwd, key, i, args, kwargs or {}, actor, threads)] = i
        bars = [tqdm(total=len(by_key), desc=desc, unit="clip", disable=not self.show_progress, position=0,
                     dynamic_ncols=True),
                tqdm(total=total, desc=f"{desc} {unit}s", unit=unit, disable=not self.show_progress, position=1,
                     dynamic_ncols=True)]
        clip_bar, unit_bar = bars
        held: dict[str, list[tuple[int, Any]]] = {}
        counted = 0
        polled = time.monotonic()
        try:
            while refs:
                ready, _ = ray.wait(list(refs), num_returns=1, timeout=POLL_S)
                if ready:
                    ready, _ = ray.wait(list(refs), num_returns=len(refs), timeout=0)
                for ref in ready:
                    i = refs.pop(ref)
                    key = calls[i][0]
                    try:
                        out = ray.get(ref)
                    except ray.exceptions.RayError as e:
                        if key not in self.failed:
                            self._fail(key, e, unit_bar)
                            for r in [r for r, j in refs.items() if calls[j][0] == key]:
                                ray.cancel(r)
                            clip_bar.update(1)
                        continue
                    if count is not None:
                        counted += count(out)
                    held.setdefault(key, []).append((i, out))
                    by_key[key].discard(i)
                    if not by_key[key] and key not in self.failed:
                        clip_bar.update(1)
                        yield from sorted(held.pop(key), key=lambda t: t[0])
                if actor is not None and (not refs or time.monotonic() - polled >= POLL_S):
                    polled = time.monotonic()
                    unit_bar.update(ray.get(actor.total.remote()) + counted - unit_bar.n)
                elif actor is None:
                    unit_bar.update(counted - unit_bar.n)
        except BaseException:
            for r in refs:
                ray.cancel(r, force=True)
            raise
        finally:
            for b in bars:
                b.close()
            if actor is not None:
                ray.kill(actor)

    def _fail(self, key: str, e: BaseException, bar: Any) -> None:
        import ray

        cause = getattr(e, "cause", None) if isinstance(e, ray.exceptions.RayTaskError) else None
        if isinstance(cause, UserError):
            why = _first_line(cause)
        elif cause is not None:
            why = f"{type(cause).__name__}: {_first_line(cause)}"
        elif isinstance(e, ray.exceptions.RayTaskError):
            why = _first_line(e)
        else:  # the worker process (or its node) died, and so did each retry
            why = (f"its worker process died, {1 + self.spec.max_retries} time(s) "
                   f"({type(e).__name__}: {_first_line(e)})")
        self.failed[key] = why
        bar.write(f"{key}: failed: {why}", file=sys.stderr)

    def keep(self, items: list, key: Callable[[Any], str]) -> list:
        """`items` of the clips that did not fail; ClipsFailed when every clip failed."""
        kept = [x for x in items if key(x) not in self.failed]
        if items and not kept:
            self.raise_failures()
        return kept

    def raise_failures(self, note: str = "") -> None:
        """ClipsFailed naming the failed clips (one line), when any failed."""
        if self.failed:
            raise ClipsFailed(f"{len(self.failed)} clip(s) failed: {', '.join(sorted(self.failed))}{note}")


@contextlib.contextmanager
def open_cluster(spec: ClusterSpec, show_progress: bool = True) -> Iterator[ClusterRunner]:
    """Connect to (or, for local-ray, start) the cluster for the duration of the block. A Ray already initialised in
    this process (tests) is used as it is and left running."""
    try:
        import ray
    except ImportError as e:
        raise UserError("--cluster needs Ray, which is not installed: pip install 'uhdvd[ray]'") from e
    owned = not ray.is_initialized()
    if owned:
        kw: dict[str, Any] = dict(logging_level=logging.ERROR, log_to_driver=False)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # Ray Client's timeout warning: the error below says it in one line
                if spec.address == "local-ray":
                    ray.init(num_cpus=os.cpu_count() or 1, include_dashboard=False, **kw)
                else:
                    ray.init(address="auto" if spec.address == "ray" else spec.address, **kw)
        except Exception as e:  # noqa: BLE001 - ConnectionError, a timeout, a missing ray[client] extra, ...
            with contextlib.suppress(Exception):
                ray.shutdown()
            raise UserError(f"--cluster {spec.address}: cannot reach the Ray cluster ({type(e).__name__}: "
                            f"{_first_line(e)})") from e
    try:
        yield ClusterRunner(spec, show_progress)
    finally:
        if owned:
            ray.shutdown()
