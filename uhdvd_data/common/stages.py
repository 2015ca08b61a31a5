"""Bounded background stages for streaming jobs: read ahead of the consumer, write behind it.

* `prefetched(source, size)`: iterate `source` in a background thread, at most `size` items ahead (decoding the next
  frames while the current ones are computed);
* `OrderedWriter(size)`: run write calls in one background thread, in submission order, at most `size` pending
  (encoding and writing frames while the next ones are computed).

Both keep memory bounded, keep the order (so outputs are byte-identical to the sequential path), and re-raise a
background error in the caller at the next call. OpenCV, PNG/ffmpeg I/O and torch release the GIL, so on a machine
with spare cores the stages really overlap.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
_END = object()


def prefetched(source: Iterable[T], size: int) -> Iterator[T]:
    """Items of `source`, produced by a background thread at most `size` ahead (size <= 0: no thread)."""
    if size <= 0:
        yield from source
        return
    q: queue.Queue = queue.Queue(maxsize=size)
    stop = threading.Event()

    def run() -> None:
        try:
            for item in source:
                while not stop.is_set():
                    try:
                        q.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put((_END, None))
        except BaseException as e:  # noqa: BLE001 - handed to the consumer
            q.put((_END, e))

    th = threading.Thread(target=run, name="uhdvd-reader", daemon=True)
    th.start()
    try:
        while True:
            item, err = q.get()
            if item is _END:
                if err is not None:
                    raise err
                return
            yield item
    finally:
        stop.set()
        while th.is_alive():  # unblock a producer waiting on a full queue, then let it finish
            try:
                q.get_nowait()
            except queue.Empty:
                th.join(timeout=0.05)


class OrderedWriter:
    """`submit(fn, *args)` runs fn(*args) in one background thread, in order, with at most `size` calls pending
    (size <= 0: runs it at once in the caller). `close()` waits for all and re-raises the first error."""

    def __init__(self, size: int):
        self.size = size
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="uhdvd-writer") if size > 0 else None
        self._pending: deque[Future] = deque()

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        if self._pool is None:
            fn(*args)
            return
        while self._pending and (self._pending[0].done() or len(self._pending) >= self.size):
            self._pending.popleft().result()  # re-raises a write error here
        self._pending.append(self._pool.submit(fn, *args))

    def close(self) -> None:
        try:
            while self._pending:
                self._pending.popleft().result()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> OrderedWriter:
        return self

    def __exit__(self, *exc) -> None:
        if exc[0] is None:
            self.close()
        else:  # an error in the caller: drop what is queued, keep the caller's error
            for f in self._pending:
                f.cancel()
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
