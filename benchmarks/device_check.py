"""One-shot device check: every speed / memory figure the GPU rows of docs/bench_*.md need, in one table.

    .venv/bin/python benchmarks/device_check.py [--out device_check.md] [--budget-s 420] [--tiny] [--only NAMES]
    bash benchmarks/device_check.sh        # on a lent GPU: the gpu-marked tests first, then this driver

One row per measurement (name, size, value, unit, notes), written as ONE Markdown table to stdout and to --out
(rewritten after every row, so an interrupted run keeps what it measured), with the device, torch version and date.
A failing measurement gives an "error: ..." value and the others still run; once --budget-s seconds are spent the
remaining rows read "skipped: time budget" (a row already running is not interrupted).

Rows (functions reused from model_speed.py, interp_speed.py and train_speed.py):
  * UHDVD paper variant with each SPAA execution (serial / batch / grouped), the official-compatible variant and
    DMPHN: ms per 4K frame in bf16 (model_speed.deblurrer_ms: CUDA events around Deblurrer.run after warm-up);
  * interpolation: new 4K frames/s of the network (bf16, Triton sepconv) and of dis (interp_speed.new_frames_per_s);
  * the sepconv op at 4K: forward time and peak extra memory, Triton vs the torch reference (interp_speed.op_cuda);
  * training it/s at crop 512, fp32 vs bf16 autocast + channels_last (train_speed.measure).

Without CUDA (or with --tiny) the same steps run at tiny sizes (128x256 frames, crop 128, 1 timed iteration after
1 warm-up, perf_counter timing): a smoke test of the chain, not a speed figure. The Triton rows read "n/a" on CPU.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling benchmark scripts
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository (when not installed)

import interp_speed  # noqa: E402
import model_speed  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
import train_speed  # noqa: E402

SKIPPED = "skipped: time budget"
clock = time.monotonic  # the time budget's clock (a fake one in the tests)


# --------------------------------------------------------------------------------------------------- set-up
@dataclass(frozen=True)
class Sizes:
    frame_hw: tuple[int, int]  # deblurring, interpolation and sepconv frames (H, W)
    crop: int  # training crop
    n: int  # timed frames / iterations
    warmup: int
    factor: int  # interpolation: new frames per source pair + 1
    scene_hw: tuple[int, int]  # interpolation scene rendered at this size, then resized to frame_hw


FULL = Sizes(frame_hw=(2160, 3840), crop=512, n=5, warmup=2, factor=16, scene_hw=(1080, 1920))
TINY = Sizes(frame_hw=(128, 256), crop=128, n=1, warmup=1, factor=4, scene_hw=(128, 256))


@dataclass
class Row:
    name: str
    size: str
    value: str
    unit: str = ""
    notes: str = ""


@dataclass
class Check:
    """What the measurements share: the device, the sizes, earlier results (for ratios) and cached inputs."""

    device: torch.device
    sizes: Sizes
    results: dict[str, float] = field(default_factory=dict)
    cache: dict = field(default_factory=dict)

    @property
    def cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def size(self) -> str:
        h, w = self.sizes.frame_hw
        return f"{w}x{h}"

    @property
    def timing(self) -> str:
        how = "CUDA events, synchronized" if self.cuda else "perf_counter"
        return f"{how}; median of {self.sizes.n} after {self.sizes.warmup} warm-up"

    def frame(self) -> np.ndarray:
        """A random 8-bit frame for the deblurring rows."""
        if "frame" not in self.cache:
            h, w = self.sizes.frame_hw
            self.cache["frame"] = np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)
        return self.cache["frame"]

    def pair(self) -> tuple[np.ndarray, np.ndarray]:
        """Two 8-bit frames of a held-out benchmark scene (camera motion + an occluding mover)."""
        if "pair" not in self.cache:
            import cv2

            from uhdvd_data.render import benchmark_scenes

            sc = benchmark_scenes(1, size=self.sizes.scene_hw)[0]
            h, w = self.sizes.frame_hw
            self.cache["pair"] = tuple(cv2.resize(interp_speed.q8(sc.render(t)), (w, h), interpolation=cv2.INTER_LINEAR)
                                       for t in (0.0, 1.0))
        return self.cache["pair"]


# ------------------------------------------------------------------------------------------- measurements
Result = tuple[float | str, str, str]  # value (a number, or "n/a"), unit, notes


def deblur_row(config: str, note: str | Callable[[Check], str] = "") -> Callable[[Check], Result]:
    """ms per frame of a model_speed.CONFIGS entry in bf16 (Deblurrer.run: host pre-processing included)."""

    def run(c: Check) -> Result:
        from uhdvd_model.arch import build_model

        arch, kw = model_speed.CONFIGS[config]
        torch.manual_seed(0)
        model = build_model(arch, **kw).eval()
        ms, peak = model_speed.deblurrer_ms(model, c.frame(), c.device, "bf16", c.sizes.n, c.sizes.warmup)
        c.results[config] = ms
        mem = f"; peak {peak:.2f} GB" if peak is not None else ""
        extra = note(c) if callable(note) else note
        kws = ", ".join(f"{k}={v}" for k, v in kw.items())
        return ms, "ms/frame", f"bf16 + channels_last, {arch} ({kws}){mem}; {c.timing}" + (f"; {extra}" if extra else "")

    return run


def speedup(c: Check, slow: str, fast: str) -> str:
    """The speed-up of `fast` over `slow` (time of slow / time of fast) from earlier rows' results."""
    a, b = c.results.get(slow), c.results.get(fast)
    return f"speed-up {fast} vs {slow}: {a / b:.2f}x" if a and b else f"speed-up {fast} vs {slow}: n/a"


def interp_row(method: str, ensemble: str = "none") -> Callable[[Check], Result]:
    """New frames/s of an interpolation method (prepare = flows, once per pair, excluded and given in the notes);
    ensemble "mirror" = the pair and its mirror, averaged (`interpolate` does so up to 2048 px: --ensemble auto)."""

    def run(c: Check) -> Result:
        from uhdvd_data.interp.methods import make_method
        from uhdvd_data.interp.weights_io import PACKAGE_WEIGHTS

        kw = {"weights": PACKAGE_WEIGHTS} if method == "network" else {}
        m = make_method(method, device=c.device, dtype="bf16", ensemble=ensemble, **kw)
        f0, f1 = c.pair()
        fps, prep = interp_speed.new_frames_per_s(m, f0, f1, c.sizes.factor)
        sh, sw = c.sizes.scene_hw
        op = "Triton sepconv" if c.cuda else "torch sepconv"
        what = f"bf16 autocast, {op}, tile {m.tile}" if method == "network" else "flow warps + blend"
        what += ", mirror ensemble (2 passes)" if ensemble == "mirror" else ""
        return fps, "new frames/s", (f"{what}; x{c.sizes.factor} ({c.sizes.factor - 1} frames, 8-bit host output "
                                     f"included); prepare (flows, once per pair) {prep:.2f} s excluded; scene "
                                     f"rendered at {sw}x{sh}")

    return run


def sepconv_results(c: Check) -> dict[str, tuple[float | None, float | None]]:
    """{"triton" / "reference": (forward seconds, peak extra MiB or None)} at the frame size, K of the network."""
    if "sepconv" not in c.cache:
        h, w = c.sizes.frame_hw
        k = 11
        if c.cuda:
            c.cache["sepconv"] = interp_speed.op_cuda(h, w, k, reps=c.sizes.n)
        else:
            fwd, _ = interp_speed.op_cpu(h, w, k, reps=c.sizes.n)
            c.cache["sepconv"] = {"triton": (None, None), "reference": (fwd, None)}
    return c.cache["sepconv"]


def sepconv_row(backend: str, memory: bool) -> Callable[[Check], Result]:
    def run(c: Check) -> Result:
        t, mib = sepconv_results(c)[backend]
        if t is None:
            return "n/a", "", "the Triton kernel needs CUDA (checked on CPU by tests/interp/test_sepconv.py)"
        if memory:
            if mib is None:
                return "n/a", "", "peak memory is measured on CUDA only"
            return mib, "MiB", "peak extra memory of the forward (max_memory_allocated - before), fp32, K=11"
        how = f"CUDA events, mean of {c.sizes.n} after 1 warm-up" if c.cuda else f"perf_counter, best of {c.sizes.n}"
        return t * 1e3, "ms", f"forward, fp32, K=11; {how}"

    return run


def train_row(dtype: torch.dtype, channels_last: bool) -> Callable[[Check], Result]:
    """Training iterations/s of the paper variant (batch 1, one frame + its previous output, multi-scale loss)."""

    def run(c: Check) -> Result:
        its, cpu_s = train_speed.measure(c.sizes.crop, c.device, dtype, channels_last, False, c.sizes.n,
                                         c.sizes.warmup)
        key = f"train-{dtype}-{channels_last}"
        c.results[key] = its
        note = ""
        if channels_last and dtype != torch.float32:
            ref = c.results.get(f"train-{torch.float32}-False")
            note = f"; {its / ref:.2f}x the fp32 row" if ref else ""
        return its, "it/s", (f"uhdvd paper, batch 1, one Adam; {c.sizes.n} iterations after {c.sizes.warmup} "
                             f"warm-up, synchronized; CPU {cpu_s:.2f} s/it (all threads){note}")

    return run


def measurements(c: Check) -> list[tuple[str, str, Callable[[Check], Result]]]:
    """(name, size, function) of every row, in order (later rows' notes use earlier results)."""
    s, crop = c.size, f"crop {c.sizes.crop}"
    return [
        ("uhdvd-paper spaa=serial", s, deblur_row("paper-serial")),
        ("uhdvd-paper spaa=batch", s, deblur_row("paper-batch", lambda c: "the CUDA default (spaa auto); "
                                                 + speedup(c, "paper-serial", "paper-batch"))),
        ("uhdvd-paper spaa=grouped", s, deblur_row("paper-grouped",
                                                   lambda c: speedup(c, "paper-serial", "paper-grouped"))),
        ("uhdvd-official", s, deblur_row("official", "released pre-processing (PIL resizes on the host), tiled "
                                                     "level-1 decoder")),
        ("dmphn", s, deblur_row("dmphn", lambda c: speedup(c, "dmphn", "paper-batch") + " (paper: 14x)")),
        ("interp network", s, interp_row("network")),
        ("interp dis", s, interp_row("dis")),
        ("interp dis, mirror ensemble", s, interp_row("dis", "mirror")),
        ("sepconv triton time", s, sepconv_row("triton", memory=False)),
        ("sepconv triton memory", s, sepconv_row("triton", memory=True)),
        ("sepconv reference time", s, sepconv_row("reference", memory=False)),
        ("sepconv reference memory", s, sepconv_row("reference", memory=True)),
        ("train fp32", crop, train_row(torch.float32, False)),
        ("train bf16+channels_last", crop, train_row(torch.bfloat16, True)),
    ]


# ------------------------------------------------------------------------------------------------- running
def one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def fmt(value: float | str) -> str:
    if isinstance(value, str):
        return value
    return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"


def run_row(c: Check, name: str, size: str, fn: Callable[[Check], Result]) -> Row:
    """One measurement; an exception becomes an "error: ..." value. GPU memory is released afterwards."""
    t0 = time.perf_counter()
    try:
        value, unit, notes = fn(c)
        row = Row(name, size, fmt(value), unit, one_line(notes))
    except Exception as e:  # noqa: BLE001 - one failing row must not stop the others
        row = Row(name, size, one_line(f"error: {type(e).__name__}: {e}", 200), "", "")
    finally:
        gc.collect()
        if c.cuda:
            torch.cuda.empty_cache()
    print(f"[device_check] {name}: {row.value} {row.unit} ({time.perf_counter() - t0:.1f} s)", file=sys.stderr,
          flush=True)
    return row


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)} (CUDA {torch.version.cuda})"
    return f"CPU, tiny sizes ({cpu_model()}, {os.cpu_count()} cores)"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def render(rows: list[Row], header: dict[str, str]) -> str:
    lines = ["# Device check", ""] + [f"- {k}: {v}" for k, v in header.items()] + [""]
    lines += ["| name | size | value | unit | notes |", "|---|---|---|---|---|"]
    lines += [f"| {r.name} | {r.size} | {r.value} | {r.unit} | {r.notes} |" for r in rows]
    return "\n".join(lines) + "\n"


def run_all(c: Check, budget_s: float, only: list[str], out: Path, header: dict[str, str]) -> list[Row]:
    rows: list[Row] = []
    t0 = clock()
    for name, size, fn in measurements(c):
        if only and not any(o in name for o in only):
            continue
        if clock() - t0 > budget_s:
            rows.append(Row(name, size, SKIPPED))
        else:
            rows.append(run_row(c, name, size, fn))
        header["elapsed"] = f"{clock() - t0:.0f} s of a {budget_s:.0f} s budget"
        out.write_text(render(rows, header))
    return rows


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="device_check.md", help="Markdown file to write (default: device_check.md)")
    ap.add_argument("--budget-s", type=float, default=420.0, help="skip the remaining rows after this many seconds")
    ap.add_argument("--device", default="auto", help="auto (CUDA when present) | cpu | cuda")
    ap.add_argument("--tiny", action="store_true", help="tiny sizes (automatic on CPU)")
    ap.add_argument("--only", default="", help="comma-separated substrings: run only rows whose name has one")
    ap.add_argument("--gpu-tests", default="", help="result line of the gpu-marked tests (from device_check.sh)")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    from uhdvd_data.common.device import pick_device

    device = pick_device(a.device)
    tiny = a.tiny or device.type != "cuda"
    c = Check(device, TINY if tiny else FULL)
    header = {"device": device_name(device) + (", tiny sizes" if tiny and device.type == "cuda" else ""),
              "torch": torch.__version__,
              "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
              "sizes": f"frames {c.size}, training crop {c.sizes.crop}"
                       + (" (not a speed figure)" if tiny else "")}
    if a.gpu_tests:
        header["gpu tests"] = one_line(a.gpu_tests)
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = run_all(c, a.budget_s, [o for o in a.only.split(",") if o], out, header)
    text = render(rows, header)
    out.write_text(text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
