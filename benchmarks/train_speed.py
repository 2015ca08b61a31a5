"""Training speed of UHDVD: iterations (frames) per second at a crop size, for several set-ups.

Rows: our loop in fp32; bf16 autocast + channels_last (CUDA only); and a per-module-optimizer loop like the released
code (8 Adam optimizers, one per encoder/decoder level, each stepped separately). One iteration = forward of one
frame with its previous output, the multi-scale loss, backward and the optimizer step(s), batch 1 as in the paper.
CPU seconds per iteration (process time, all threads) are printed too: on a shared machine they are a fairer
measure than wall time.
On CPU the default crops are 128 and 256; on CUDA 512. GPU rows say "not measured: no GPU" without CUDA.

    .venv/bin/python benchmarks/train_speed.py [--crops 128 256] [--iters 5] [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import time

import torch


def make_step(model, device, dtype, channels_last, per_module: bool):
    from uhdvd_model.train.losses import multiscale_loss

    if per_module:
        groups = [m for n, m in model.named_children() if n.startswith(("encoder_lv", "decoder_lv"))]
        opts = [torch.optim.Adam(m.parameters(), lr=1e-4) for m in groups]
    else:
        opts = [torch.optim.Adam(model.parameters(), lr=1e-4)]

    def step(blur, sharp):
        for o in opts:
            o.zero_grad(set_to_none=True)
        ctx = torch.autocast(device.type, dtype=dtype) if dtype != torch.float32 else contextlib.nullcontext()
        with ctx:
            outs = model(blur, blur)
        loss, _ = multiscale_loss(outs, sharp)
        loss.backward()
        for o in opts:
            o.step()
        return loss

    return step, len(opts)


def measure(crop: int, device: torch.device, dtype, channels_last: bool, per_module: bool, iters: int,
            warmup: int) -> float:
    from uhdvd_model.arch import build_model

    torch.manual_seed(0)
    model = build_model("uhdvd").to(device)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(memory_format=fmt)
    step, _ = make_step(model, device, dtype, channels_last, per_module)
    blur = (torch.rand(1, 3, crop, crop, device=device) - 0.5).contiguous(memory_format=fmt)
    sharp = (torch.rand(1, 3, crop, crop, device=device) - 0.5).contiguous(memory_format=fmt)
    for _ in range(warmup):
        step(blur, sharp)
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(iters):
        step(blur, sharp)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return iters / (time.perf_counter() - t0), (time.process_time() - c0) / iters


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--crops", type=int, nargs="*", default=None)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    args = ap.parse_args()
    device = torch.device(args.device)
    cuda = device.type == "cuda"
    crops = args.crops or ([512] if cuda else [128, 256])
    name = torch.cuda.get_device_name(device) if cuda else f"{platform.processor() or 'CPU'}, {os.cpu_count()} cores"
    print(f"device: {name}; torch {torch.__version__}; threads {torch.get_num_threads()}; "
          f"iterations {args.iters} after {args.warmup} warm-up\n")
    print("| crop | set-up | it/s (frames/s) | ms/it | CPU s/it (all threads) |")
    print("|---|---|---|---|---|")
    rows = [("fp32, one Adam (ours)", torch.float32, False, False, True),
            ("bf16 autocast + channels_last, one Adam (ours, GPU default)", torch.bfloat16, True, False, cuda),
            ("fp32, 8 per-module Adam (released-code style)", torch.float32, False, True, True)]
    for crop in crops:
        for label, dtype, cl, per_module, possible in rows:
            if not possible:
                print(f"| {crop} | {label} | not measured: no GPU | |")
                continue
            r, cpu = measure(crop, device, dtype, cl, per_module, args.iters, args.warmup)
            print(f"| {crop} | {label} | {r:.3f} | {1000 / r:.0f} | {cpu:.1f} |", flush=True)


if __name__ == "__main__":
    main()
