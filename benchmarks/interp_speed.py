"""Interpolation speed: frames/s per method at 640x360 on CPU, direct time-conditioned synthesis vs recursive
bisection, and the separable local-convolution op (torch reference vs Triton kernel).

    python benchmarks/interp_speed.py [--size 640x360] [--weights W] [--skip-gpu]

Per method: one source pair, `prepare` (flows, once per pair) + the 15 intermediate frames of a x16 step, wall time
divided by 15 (8-bit output included). Bisection: t = 1/2 from (0, 1), then 1/4 and 3/4, ... each from a new pair
(new flows every time). On CUDA (when present): 4K (3840x2160) new frames/s for the network in bf16 with the Triton op,
and op time / peak memory at 4K for Triton vs the reference. Without CUDA those rows say "not measured: no GPU lent".
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402


def q8(x):
    return (np.clip(x, 0, 1) * 255 + 0.5).astype(np.uint8)


def time_direct(m, f0, f1, factor):
    t0 = time.perf_counter()
    st = m.prepare(f0, f1)
    for j in range(1, factor):
        m.frame(st, j / factor)
    return (time.perf_counter() - t0) / (factor - 1)


def time_bisect(m, f0, f1, factor):
    import importlib.util
    import pathlib

    spec = importlib.util.spec_from_file_location("fid", pathlib.Path(__file__).with_name("interp_fidelity.py"))
    fid = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fid)
    t0 = time.perf_counter()
    fid.bisect_frames(m, f0, f1, factor)
    return (time.perf_counter() - t0) / (factor - 1)


def op_cpu(h, w, k, reps=3):
    from uhdvd_data.interp.sepconv_ref import sepconv_backward, sepconv_forward

    inp = torch.rand(1, 3, h + k - 1, w + k - 1)
    v = torch.rand(1, k, h, w)
    hh = torch.rand(1, k, h, w)
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        out = sepconv_forward(inp, v, hh)
        ts.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    sepconv_backward(torch.ones_like(out), inp, v, hh)
    return min(ts), time.perf_counter() - t0


def op_cuda(h, w, k, reps=5):
    from uhdvd_data.interp.sepconv_ref import sepconv_forward
    from uhdvd_data.interp.sepconv_triton import sepconv_triton_forward

    dev = torch.device("cuda")
    inp = torch.rand(1, 3, h + k - 1, w + k - 1, device=dev)
    v = torch.rand(1, k, h, w, device=dev)
    hh = torch.rand(1, k, h, w, device=dev)
    rows = {}
    for name, fn in (("triton", sepconv_triton_forward), ("reference", sepconv_forward)):
        fn(inp, v, hh)  # warm-up (Triton: compilation)
        torch.cuda.synchronize()
        base = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(reps):
            fn(inp, v, hh)
        end.record()
        torch.cuda.synchronize()
        rows[name] = (start.elapsed_time(end) / 1000 / reps, (torch.cuda.max_memory_allocated() - base) / 2**20)
    return rows


def new_frames_per_s(m, f0, f1, factor: int) -> tuple[float, float]:
    """(new frames/s, prepare seconds) of method `m` on one source pair: `prepare` (flows, once per pair) timed
    apart, one warm-up frame at t = 1/2, then the factor-1 frames of a x`factor` step (8-bit host output included),
    synchronized on CUDA."""
    sync = torch.cuda.synchronize if m.device.type == "cuda" else (lambda: None)
    t0 = time.perf_counter()
    st = m.prepare(f0, f1)
    sync()
    prep = time.perf_counter() - t0
    m.frame(st, 0.5)
    sync()
    t0 = time.perf_counter()
    for j in range(1, factor):
        m.frame(st, j / factor)
    sync()
    return (factor - 1) / (time.perf_counter() - t0), prep


def motion_4k(sc) -> None:
    """CPU seconds per source pair (motion) and per new frame (flows at t + both warps) at 3840x2160."""
    from uhdvd_data.interp import motion as mm
    from uhdvd_data.interp.methods import to_tensor

    big = sc.__class__(**{**sc.__dict__, "size": (2160, 3840)})
    g0, g1 = q8(big.render(0.0)), q8(big.render(1.0))
    x0, x1 = to_tensor(g0, "cpu"), to_tensor(g1, "cpu")
    print("\n| motion (3840x2160, CPU, flows at 1024x576) | per pair | per new frame (motion at t, warps, blend, hedge) |")
    print("|---|---|---|")
    rows = (("plain", "plain", True, 1, 0), ("fused without full-res refinement (before 2026-12-02)", "fused", False, 1, 0),
            ("fused + one-level full-res refinement (2026-12-02)", "fused", True, 1, 0),
            ("fused + two-level refinement, hedge over the whole frame (2026-12-02)", "fused", True, 2, 0),
            ("fused (default: two-level refinement, hedge in the tiles that need it)", "fused", True, mm.REFINE_LEVELS,
             mm.HEDGE_TILE))
    default_levels, default_tile = mm.REFINE_LEVELS, mm.HEDGE_TILE
    for label, kind, refine, levels, tile in rows:
        mm.REFINE_LEVELS, mm.HEDGE_TILE = levels, tile
        t0 = time.perf_counter()
        m = mm.pair_motion(g0, g1, motion=kind, refine=refine)
        t1 = time.perf_counter()
        for j in (4, 8, 12):
            mm.frame_at(x0, x1, m, j / 16)
        t2 = time.perf_counter()
        mm.REFINE_LEVELS, mm.HEDGE_TILE = default_levels, default_tile
        print(f"| {label} | {t1 - t0:.2f} s | {(t2 - t1) / 3:.2f} s |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="640x360")
    ap.add_argument("--factor", type=int, default=16)
    ap.add_argument("--weights", default=None)
    ap.add_argument("--skip-gpu", action="store_true")
    ap.add_argument("--no-bisect", action="store_true")
    ap.add_argument("--motion-4k", action="store_true", help="also time the per-pair motion and per-t flows at 4K (CPU)")
    a = ap.parse_args()

    import importlib.util
    import pathlib

    from uhdvd_data.interp.methods import BlendMethod, DisMethod, NetworkMethod
    from uhdvd_data.interp.weights_io import PACKAGE_WEIGHTS, load_interp_weights
    from uhdvd_data.render import benchmark_scenes

    spec = importlib.util.spec_from_file_location("fid", pathlib.Path(__file__).with_name("interp_fidelity.py"))
    fid = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fid)

    w, h = (int(x) for x in a.size.split("x"))
    sc = benchmark_scenes(1, size=(h, w))[0]
    f0, f1 = q8(sc.render(0.0)), q8(sc.render(1.0))
    wpath = a.weights or PACKAGE_WEIGHTS
    methods = {"blend": BlendMethod(), "dis-plain": DisMethod(motion="plain"), "dis": DisMethod()}
    if os.path.isfile(wpath):
        model, _, sha = load_interp_weights(wpath)
        methods["network"] = NetworkMethod(model, weights_sha256=sha)
    if a.motion_4k:
        motion_4k(sc)
    print(f"{time.strftime('%Y-%m-%d')}, CPU: {fid.cpu_model()}, torch threads {torch.get_num_threads()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"\n| method ({w}x{h}, CPU) | direct: frames/s | bisection: frames/s |")
    print("|---|---|---|")
    for name, m in methods.items():
        m.frame(m.prepare(f0[:64, :64], f1[:64, :64]), 0.5)  # warm-up
        d = time_direct(m, f0, f1, a.factor)
        b = "-" if (a.no_bisect or name == "blend") else f"{1 / time_bisect(m, f0, f1, a.factor):.2f}"
        print(f"| {name} | {1 / d:.2f} | {b} |", flush=True)

    k = methods["network"].model.k if "network" in methods else 11
    fwd, bwd = op_cpu(h, w, k)
    print(f"\n| sepconv op, K={k} | size | forward | backward | extra memory |")
    print("|---|---|---|---|---|")
    print(f"| reference (torch, CPU) | {w}x{h} | {fwd * 1e3:.1f} ms | {bwd * 1e3:.1f} ms | "
          f"row blocks: 2 x B*C*64*W floats |")
    if torch.cuda.is_available() and not a.skip_gpu:
        rows = op_cuda(2160, 3840, k)
        for name, (t, mem) in rows.items():
            print(f"| {name} (CUDA fp32) | 3840x2160 | {t * 1e3:.2f} ms | - | {mem:.0f} MiB peak |")
        import uhdvd_data.interp.pipeline as pl

        big = sc.__class__(**{**sc.__dict__, "size": (2160, 3840)})
        g0, g1 = q8(big.render(0.0)), q8(big.render(1.0))
        m = pl.make_method("network", weights=wpath, device="cuda", dtype="bf16") if os.path.isfile(wpath) else None
        if m is not None:
            fps, _ = new_frames_per_s(m, g0, g1, a.factor)
            print(f"\n4K network bf16 + Triton: {fps:.1f} new frames/s (excluding the once-per-pair flow)")
    else:
        print("| triton (CUDA) | 3840x2160 | not measured: no GPU lent | | |")
        print("| reference (CUDA) | 3840x2160 | not measured: no GPU lent | | |")
        print("\n4K network bf16 + Triton new frames/s: not measured: no GPU lent")


if __name__ == "__main__":
    main()
