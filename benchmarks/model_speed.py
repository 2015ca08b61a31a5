"""Model speed / memory benchmark: UHDVD paper variant (each SPAA execution), official-compatible (tiled level-1
decoder), a naive per-module official implementation, DMPHN(1-2-4-8); 720p, 1080p, 4K.

    python benchmarks/model_speed.py                      # everything (4K timing on CPU is long)
    python benchmarks/model_speed.py --res 720p --configs paper-serial,paper-batch,paper-grouped,dmphn
    python benchmarks/model_speed.py --skip-4k-time       # 4K: params/FLOPs only

Each (config, resolution) runs in its own subprocess so that its peak RSS (resource.getrusage ru_maxrss) is its own.
CPU time: wall time of a whole Deblurrer frame (pre-processing, model, 8-bit output) after warm-up, median of N
(N=1 and no warm-up at 4K on CPU).  GPU: CUDA events after warm-up, synchronized, bf16 and fp32.  FLOPs come from
torch.utils.flop_counter.FlopCounterMode on the meta device (2 FLOP per multiply-add, untiled network).
Workers run with OMP_WAIT_POLICY=PASSIVE: on a shared, oversubscribed CPU spinning OpenMP threads otherwise make
small convolutions 5-10x slower.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

RES = {"720p": (720, 1280), "1080p": (1080, 1920), "4k": (2160, 3840)}
CONFIGS = {
    "paper-serial": ("uhdvd", {"spaa": "serial"}),
    "paper-batch": ("uhdvd", {"spaa": "batch"}),
    "paper-grouped": ("uhdvd", {"spaa": "grouped"}),
    "official": ("uhdvd_official", {"spaa": "batch"}),
    "official-naive": ("uhdvd_official", {"spaa": "batch", "tile_rows": 0}),
    "dmphn": ("dmphn", {"spaa": "batch"}),
}


# ---------------------------------------------------------------------------------------------------------------
def naive_official(model, inputs, out_size):
    """Straightforward released-structure forward: every module called on batch-packed patches, the level-1
    decoder untiled at 2H x 2W, then one resize. Channels-first, torch.no_grad (not inference_mode)."""
    import torch
    import torch.nn.functional as F

    def up(x):
        return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)

    def cut(x, j):  # release order: halves, quadrants, 8 patches
        from uhdvd_model.arch.spaa import split

        return torch.cat(split(x, j), 0)

    def join(x, n, axis):
        c = x.chunk(n, 0)
        return torch.cat([torch.cat([c[2 * i], c[2 * i + 1]], axis) for i in range(n // 2)], 0)

    e, d = [None] + [model.encoder(s) for s in range(1, 5)], [None] + [model.decoder(s) for s in range(1, 5)]
    f4, a4, b4 = e[4](cut(inputs[3], 8))
    f4, a4, b4 = join(f4, 8, 2), join(a4, 8, 2), join(b4, 8, 2)
    r4 = d[4](f4, a4, b4)
    g = up(join(f4, 4, 3))
    f3, a3, b3 = e[3](cut(inputs[2], 4) + torch.cat([r4, r4], 1))
    f3 = join(f3, 4, 3) + g
    r3 = d[3](f3, join(a3, 4, 3), join(b3, 4, 3))
    g = up(join(f3, 2, 2))
    f2, a2, b2 = e[2](cut(inputs[1], 2) + torch.cat([r3, r3], 1))
    f2 = join(f2, 2, 2) + g
    r2 = d[2](f2, join(a2, 2, 2), join(b2, 2, 2))
    f1, a1, b1 = e[1](inputs[0] + torch.cat([r2, r2], 1))
    out = d[1](f1 + up(f2), a1, b1)
    return F.interpolate(out, size=out_size, mode="bilinear", align_corners=False)


def count(arch, kwargs, hw):
    """Parameters and FLOPs per frame (meta device, untiled)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from uhdvd_model.arch import build_model

    kw = dict(kwargs)
    if arch == "uhdvd_official":
        kw["tile_rows"] = 0
    m = build_model(arch, **kw).eval()
    params = sum(p.numel() for p in m.parameters())
    m = m.to("meta")
    mult = m.size_multiple
    h, w = (-(-hw[0] // mult) * mult, -(-hw[1] // mult) * mult)
    b = torch.zeros(1, 3, h, w, device="meta")
    with torch.no_grad(), FlopCounterMode(display=False) as fc:
        if arch == "uhdvd_official":
            m.forward_levels(m.level_inputs(b, b), out_size=hw)
        else:
            m(b, b)
    return params, fc.get_total_flops(), (h, w)


# ---------------------------------------------------------------------------------------------------------------
def deblurrer_ms(model, frame, device, dtype: str, n: int, warmup: int, channels_last: bool = True
                 ) -> tuple[float, float | None]:
    """Median milliseconds of ``Deblurrer.run`` on one HxWx3 uint8 frame (reset before each call: the first-frame
    path; host pre-processing and host->device copy included) after ``warmup`` untimed calls, and the peak GPU
    memory in GB (None on CPU). CUDA: events around each call, synchronized; CPU: perf_counter."""
    import torch

    from uhdvd_model.infer.deblurrer import Deblurrer

    dev = torch.device(device)
    cuda = dev.type == "cuda"
    d = Deblurrer(model, device=dev, dtype=dtype, channels_last=channels_last)
    for _ in range(warmup):
        d.reset()
        d.run(frame)
    if cuda:
        torch.cuda.synchronize(dev)
        torch.cuda.reset_peak_memory_stats(dev)
    ts = []
    for _ in range(n):
        d.reset()
        if cuda:
            s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            s.record()
            d.run(frame)
            e.record()
            torch.cuda.synchronize(dev)
            ts.append(s.elapsed_time(e))
        else:
            t = time.perf_counter()
            d.run(frame)
            ts.append(1000 * (time.perf_counter() - t))
    return statistics.median(ts), (torch.cuda.max_memory_allocated(dev) / 1e9 if cuda else None)


def worker(a) -> None:
    import resource

    import numpy as np
    import torch

    from uhdvd_model.arch import build_model
    from uhdvd_model.infer.deblurrer import Deblurrer

    if a.threads:
        torch.set_num_threads(a.threads)
    arch, kw = CONFIGS[a.config]
    h, w = RES[a.res]
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    model = build_model(arch, **kw).eval()
    res = {"config": a.config, "res": a.res, "threads": torch.get_num_threads()}
    dev = torch.device(a.device)
    if dev.type == "cpu":
        if a.config == "official-naive":
            from uhdvd_model.arch.official import build_inputs, preprocess_blur
            from uhdvd_model.infer.deblurrer import to_tensor, to_uint8

            def step():
                with torch.no_grad():
                    ins = build_inputs([to_tensor(x, dev) for x in preprocess_blur(frame)], None)
                    return to_uint8(naive_official(model, ins, (h, w)))
        else:
            d = Deblurrer(model, device="cpu", dtype="fp32", channels_last=not a.no_channels_last)

            def step():
                d.reset()
                return d(frame)
        for _ in range(a.warmup):
            step()
        times = []
        for _ in range(a.n):
            t = time.perf_counter()
            step()
            times.append(time.perf_counter() - t)
        res["ms"] = 1000 * statistics.median(times)
        res["times_s"] = times
    else:
        for dt in ("bf16", "fp32"):
            res[f"gpu_ms_{dt}"], res[f"gpu_peak_gb_{dt}"] = deblurrer_ms(model, frame, dev, dt, a.n, a.warmup)
    res["peak_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9
    print("RESULT " + json.dumps(res), flush=True)


def run_worker(config, res, n, warmup, threads, device="cpu", timeout=7200):
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE", PYTHONPATH=os.getcwd())
    cmd = [sys.executable, __file__, "--worker", "--config", config, "--res", res, "--n", str(n),
           "--warmup", str(warmup), "--device", device]
    if threads:
        cmd += ["--threads", str(threads)]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    for line in p.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    return {"config": config, "res": res, "error": (p.stderr.strip().splitlines() or ["?"])[-1]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--res", default="720p,1080p,4k")
    ap.add_argument("--configs", default=",".join(CONFIGS))
    ap.add_argument("--n", type=int, default=3, help="timed frames (median); 1 at 4K on CPU")
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--skip-4k-time", action="store_true", help="4K: params/FLOPs only")
    ap.add_argument("--counts-only", action="store_true", help="params/FLOPs only")
    ap.add_argument("--json", default=None, help="append results as JSON lines to this file")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--config", help=argparse.SUPPRESS)
    ap.add_argument("--device", default="cpu", help=argparse.SUPPRESS)
    ap.add_argument("--no-channels-last", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        worker(a)
        return 0
    import torch

    has_cuda = torch.cuda.is_available()
    print(f"# torch {torch.__version__}, threads {torch.get_num_threads()}, load {os.getloadavg()}")
    hdr = ("| config | res | params | GFLOP/frame | CPU ms/frame | CPU TFLOP/s | peak RSS GB | GPU bf16 ms | "
           "GPU fp32 ms |")
    print(hdr)
    print("|---|---|---|---|---|---|---|---|---|")
    rows = []
    for res in a.res.split(","):
        for cfg in a.configs.split(","):
            arch, kw = CONFIGS[cfg]
            params, flops, _ = count(arch, kw, RES[res])
            row = {"config": cfg, "res": res, "params": params, "flops": flops}
            if not a.counts_only and not (res == "4k" and a.skip_4k_time):
                four_k = res == "4k"
                r = run_worker(cfg, res, 1 if four_k else a.n, 0 if four_k else a.warmup, a.threads)
                row.update(r)
                if has_cuda:
                    row.update({k: v for k, v in run_worker(cfg, res, a.n, a.warmup, 0, "cuda").items()
                                if k.startswith("gpu")})
            rows.append(row)
            ms = row.get("ms")
            gpu = ("not measured: no GPU",) * 2 if not has_cuda else (
                f"{row.get('gpu_ms_bf16', float('nan')):.1f}", f"{row.get('gpu_ms_fp32', float('nan')):.1f}")
            print(f"| {cfg} | {res} | {params / 1e6:.2f} M | {flops / 1e9:.0f} | "
                  f"{'-' if ms is None else f'{ms:.0f}'} | "
                  f"{'-' if ms is None else f'{flops / (ms / 1000) / 1e12:.3f}'} | "
                  f"{row.get('peak_rss_gb', float('nan')):.2f} | {gpu[0]} | {gpu[1]} |"
                  + (f" error: {row['error']}" if "error" in row else ""), flush=True)
            if a.json:
                with open(a.json, "a") as fh:
                    fh.write(json.dumps({**row, "load": os.getloadavg(), "time": time.time()}) + "\n")
    by = {(r["config"], r["res"]): r for r in rows}

    def ratio(x, y, res):
        a_, b_ = by.get((x, res), {}).get("ms"), by.get((y, res), {}).get("ms")
        return f"{b_ / a_:.2f}x" if a_ and b_ else "n/a"

    print("\nratios (speed-up = time of second / time of first):")
    for res in a.res.split(","):
        print(f"  {res}: paper-batch vs serial {ratio('paper-batch', 'paper-serial', res)}, "
              f"paper-grouped vs serial {ratio('paper-grouped', 'paper-serial', res)}, "
              f"paper-batch vs DMPHN {ratio('paper-batch', 'dmphn', res)}, "
              f"official vs naive {ratio('official', 'official-naive', res)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
