"""Per-frame timing of a :class:`~uhdvd_model.infer.deblurrer.Deblurrer`, and a description of what was timed on.

* ``ms_model``: the network forward only. CUDA: events recorded just before and just after
  :meth:`Deblurrer.forward` on the current stream, read after a synchronise. CPU: ``perf_counter`` around it.
* ``ms_end_to_end``: wall time from the decoded frame in host memory to the uint8 result in host memory
  (``prepare`` + ``forward`` + ``finish``: host->device copy, pre-processing / padding, network, rounding,
  device->host copy), with a synchronise before the clock starts and before it stops.

Reading image files and computing metrics happen outside both measurements.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import time
from pathlib import Path

import numpy as np

TIMING_NOTE = ("Time (ms, model): the network forward only, {how}, mean over the timed frames after {warmup} "
               "untimed warm-up frame(s) per dataset. Time (ms, end-to-end): host to host, from the decoded frame in "
               "host memory to the 8-bit result in host memory (pre-processing, copies, network, rounding; "
               "synchronised). Image file reading and metric computation are excluded from both.")


def timed_frame(d, rgb: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Deblur one frame with ``d`` (a Deblurrer); returns (uint8 HxWx3 output, ms_model, ms_end_to_end)."""
    import torch

    cuda = d.device.type == "cuda"
    if cuda:
        torch.cuda.synchronize(d.device)  # earlier queued work must not land in this frame's time
    t0 = time.perf_counter()
    inputs = d.prepare(rgb)
    if cuda:
        stream = torch.cuda.current_stream(d.device)  # the stream the forward's kernels are queued on
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record(stream)
        out = d.forward(inputs)
        b.record(stream)
    else:
        t1 = time.perf_counter()
        out = d.forward(inputs)
        t2 = time.perf_counter()
    u8 = d.finish(out)
    if cuda:
        torch.cuda.synchronize(d.device)
    t3 = time.perf_counter()
    ms_model = a.elapsed_time(b) if cuda else (t2 - t1) * 1000.0
    return u8, float(ms_model), (t3 - t0) * 1000.0


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def device_description(device) -> str:
    """'NVIDIA H100 80GB HBM3 (CUDA 12.4)' or 'CPU: <model name>, 2 torch threads (2 cores visible)'."""
    import torch

    if getattr(device, "type", "cpu") == "cuda":
        return f"{torch.cuda.get_device_name(device)} (CUDA {torch.version.cuda}, torch {torch.__version__})"
    return (f"CPU: {_cpu_model()}, {torch.get_num_threads()} torch thread(s) ({os.cpu_count()} cores visible), "
            f"torch {torch.__version__}")


def dtype_name(dtype) -> str:
    from uhdvd_data.common.device import DTYPES

    return next((k for k, v in DTYPES.items() if v == dtype), str(dtype))


def timing_how(device) -> str:
    if getattr(device, "type", "cpu") == "cuda":
        return "CUDA events recorded around the forward and synchronised"
    return "perf_counter around the forward (CPU)"


def now_utc() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
