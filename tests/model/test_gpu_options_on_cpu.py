"""GPU options exercised on CPU with tiny inputs, so that none of them can crash on first use on a GPU (issue #16).

* training through ``uhdvd_model.train.loop.train``: bf16 / fp16 autocast, channels_last, torch.compile (inductor),
  the fp16 GradScaler (scale, unscale_, step, update), and one real UHDVD step in bf16 + channels_last;
* inference with ``Deblurrer``: bf16 / fp16 + channels_last for the three architectures against fp32, and
  ``compile=True`` for the paper variant;
* interpolation: the network method in bf16 / fp16 (autocast around the network, fp32 sepconv), tiled.
  The Triton sepconv kernels are checked on CPU through Triton's interpreter in tests/interp/test_sepconv.py.

Every test is parametrized over ``cpu`` and ``cuda`` (marked ``gpu``: skipped without CUDA, run by
benchmarks/device_check.sh on a lent GPU).

Measured on CPU (2 shared cores, random-init weights, 128x128 frames, two recurrent frames), PSNR of the output
against fp32 with peak 1: bf16 57.5 (paper) / 63.3 (official) / 72.5 (DMPHN) dB; fp16 75.5 / 82.9 / 91.0 dB.
The bounds below (40 / 50 dB) leave ~15 dB of margin. Interpolation network bf16 vs fp32: 90 dB on 8-bit output.

torch.compile of the whole paper network with inductor takes ~140 s on 2 CPU cores (and recompiles for the second
frame, whose "previous" is no longer None), so on CPU the Deblurrer test compiles with the ``aot_eager`` backend
(Dynamo capture + AOTAutograd + decompositions, no code generation); set UHDVD_TEST_INDUCTOR=1 for inductor. The
training test compiles the tiny stand-in network with inductor (C++ code generation) for real.
"""

from __future__ import annotations

import functools
import math
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "train"))
import trainkit  # noqa: E402
from trainkit import make_manifest  # noqa: E402

from uhdvd_model.arch import build_model  # noqa: E402
from uhdvd_model.infer.deblurrer import Deblurrer  # noqa: E402
from uhdvd_model.train import checkpoint as ck  # noqa: E402
from uhdvd_model.train.config import TrainConfig  # noqa: E402
from uhdvd_model.train.loop import train  # noqa: E402

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)]
MIN_PSNR = {"bf16": 40.0, "fp16": 50.0}  # dB against fp32 (measured: >= 57.5 and >= 75.5, see above)
AUTOCAST = {"bf16": torch.bfloat16, "fp16": torch.float16}


# ------------------------------------------------------------------------------------------------------- helpers
def psnr(a: torch.Tensor, b: torch.Tensor, peak: float = 1.0) -> float:
    mse = float(((a.double() - b.double()) ** 2).mean())
    return math.inf if mse == 0 else 10 * math.log10(peak**2 / mse)


def smooth_frame(h: int = 128, w: int = 128, seed: int = 0) -> np.ndarray:
    """An 8-bit frame with structure at several scales (blocks + fine noise), like trainkit's pairs."""
    rng = np.random.default_rng(seed)
    base = np.kron(rng.random((h // 16, w // 16, 3)), np.ones((16, 16, 1)))
    return np.clip((0.85 * base + 0.15 * rng.random((h, w, 3))) * 255 + 0.5, 0, 255).astype(np.uint8)


def cxx_compiler() -> str | None:
    """The C++ compiler inductor's CPU backend would use (it honours $CXX), if any."""
    for name in (os.environ.get("CXX"), "g++", "c++", "clang++"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def tiny_cfg(tmp_path: Path, device: str, **kw) -> TrainConfig:
    """A 2-step run of the tiny stand-in network (tests/train/trainkit.py) on 32x32 crops of 2-frame clips."""
    base = dict(manifest=str(make_manifest(tmp_path)), arch="trainkit:tiny", clip_len=2, crop=32, lr=1e-3,
                steps=2, val_every=2, ckpt_every=2, workers=0, out=str(tmp_path / "run"), log_every=1,
                device=device, ema_decay=0.0)
    base.update(kw)
    return TrainConfig(**base)


def record_forwards(monkeypatch) -> list[dict]:
    """Record, for every training-mode forward of the tiny network, the autocast state and the input layout."""
    seen: list[dict] = []
    real = trainkit.TinyNet.forward

    def spy(self, blur, prev):
        if self.training:
            dev = blur.device.type
            seen.append({"autocast": torch.is_autocast_enabled(dev), "dtype": torch.get_autocast_dtype(dev),
                         "channels_last": blur.is_contiguous(memory_format=torch.channels_last)
                         and not blur.is_contiguous(),
                         "weights_channels_last": self.c1.weight.is_contiguous(memory_format=torch.channels_last)
                         and not self.c1.weight.is_contiguous()})
        return real(self, blur, prev)

    monkeypatch.setattr(trainkit.TinyNet, "forward", spy)
    return seen


def assert_clean_run(summary: dict, run: Path, steps: int = 2) -> None:
    from safetensors.torch import load_file

    assert summary["steps"] == steps and summary["skipped_steps"] == 0
    assert math.isfinite(summary["last_loss"])
    assert all(torch.isfinite(v).all() for v in load_file(run / "weights.safetensors").values())


@pytest.fixture(scope="module")
def fp32_loss(tmp_path_factory) -> dict:
    """Last training loss of the plain fp32 run, per device (computed on first use)."""
    cache: dict = {}

    def get(device: str) -> float:
        if device not in cache:
            d = tmp_path_factory.mktemp(f"fp32-{device}")
            cache[device] = train(tiny_cfg(d, device, dtype="fp32", channels_last=False), progress=False)["last_loss"]
        return cache[device]

    return get


# ------------------------------------------------------------------------------------------------------ training
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype,channels_last", [("bf16", False), ("fp16", False), ("fp32", True), ("bf16", True)])
def test_train_reduced_precision_and_channels_last(tmp_path, monkeypatch, fp32_loss, device, dtype, channels_last):
    ref = fp32_loss(device)
    seen = record_forwards(monkeypatch)
    cfg = tiny_cfg(tmp_path, device, dtype=dtype, channels_last=channels_last)
    s = train(cfg, progress=False)
    assert_clean_run(s, tmp_path / "run")
    assert len(seen) == 2 * 2  # 2 steps x 2 frames
    for f in seen:
        assert f["autocast"] == (dtype != "fp32")
        if dtype != "fp32":
            assert f["dtype"] == AUTOCAST[dtype]
        assert f["channels_last"] == channels_last and f["weights_channels_last"] == channels_last
    assert abs(s["last_loss"] - ref) <= 0.03 * ref, (s["last_loss"], ref)  # measured within 0.02 % on CPU
    log = (tmp_path / "run/log.txt").read_text()
    assert f"({dtype}{', channels_last' if channels_last else ''})" in log


@pytest.mark.parametrize("device", DEVICES)
def test_fp16_training_runs_the_grad_scaler(tmp_path, monkeypatch, device):
    """fp16 enables GradScaler(device): scale -> backward, unscale_ (gradient clipping), step, update."""
    calls: list[str] = []
    for name in ("scale", "unscale_", "step", "update"):
        real = getattr(torch.amp.GradScaler, name)

        def spy(self, *a, _real=real, _name=name, **kw):
            if self.is_enabled():
                calls.append(_name)
            return _real(self, *a, **kw)

        monkeypatch.setattr(torch.amp.GradScaler, name, spy)
    s = train(tiny_cfg(tmp_path, device, dtype="fp16", grad_clip=1.0), progress=False)
    assert_clean_run(s, tmp_path / "run")
    assert calls.count("scale") == 2 * 2 and calls.count("unscale_") == 2
    assert calls.count("step") == 2 and calls.count("update") == 2
    scaler = ck.load_state(ck.latest_valid(tmp_path / "run"))["scaler"]
    assert scaler["scale"] == 2.0**16 and scaler["_growth_tracker"] == 2  # two finite steps, no back-off


@pytest.mark.slow
@pytest.mark.parametrize("device", DEVICES)
def test_train_with_torch_compile(tmp_path, fp32_loss, device):
    if device == "cpu" and cxx_compiler() is None:
        pytest.skip("torch.compile (inductor) on CPU needs a C++ compiler (g++/c++/clang++ or $CXX); none found")
    from torch._dynamo.utils import counters

    ref = fp32_loss(device)
    torch._dynamo.reset()
    counters.clear()
    try:
        s = train(tiny_cfg(tmp_path, device, dtype="fp32", channels_last=False, compile=True), progress=False)
        graphs = counters["stats"]["unique_graphs"]
    finally:
        torch._dynamo.reset()
    assert_clean_run(s, tmp_path / "run")
    assert graphs >= 1
    assert abs(s["last_loss"] - ref) <= 1e-3 * ref, (s["last_loss"], ref)
    assert "compiled" in (tmp_path / "run/log.txt").read_text()


@pytest.mark.parametrize("device", DEVICES)
def test_train_step_of_the_real_network_in_bf16_channels_last(tmp_path, device):
    man = make_manifest(tmp_path, clips=(("a", "train", 3), ("v", "val", 2)), h=128, w=128)
    cfg = TrainConfig(manifest=str(man), arch="uhdvd", clip_len=2, crop=128, steps=1, val_every=1, ckpt_every=1,
                      workers=0, out=str(tmp_path / "run"), log_every=1, val_frames=1, val_clips=1, val_crop=128,
                      device=device, dtype="bf16", channels_last=True, ema_decay=0.0)
    s = train(cfg, progress=False)
    assert_clean_run(s, tmp_path / "run", steps=1)
    assert s["val_psnr"] is not None and math.isfinite(s["val_psnr"])


# ----------------------------------------------------------------------------------------------------- inference
def deblur_two_frames(model: torch.nn.Module, device: str, **kw) -> list[torch.Tensor]:
    """Outputs (float, on CPU) of two consecutive frames: the first-frame path and the recurrent path."""
    d = Deblurrer(model, device=device, **kw)
    return [d.run(smooth_frame(seed=i)).cpu() for i in range(2)]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("arch", ["uhdvd", "uhdvd_official", "dmphn"])
def test_deblurrer_reduced_precision_channels_last_matches_fp32(device, arch):
    torch.manual_seed(0)
    model = build_model(arch)
    ref = deblur_two_frames(model, device, dtype="fp32", channels_last=False)
    cl = deblur_two_frames(model, device, dtype="fp32", channels_last=True)
    atol = 1e-4 if device == "cpu" else 5e-3  # cuDNN convolutions run in TF32 by default (allow_tf32)
    for a, b in zip(cl, ref):
        assert a.dtype == torch.float32 and a.shape == b.shape == (1, 3, 128, 128)
        assert torch.allclose(a, b, atol=atol), float((a - b).abs().max())
    for dtype, bound in MIN_PSNR.items():
        out = deblur_two_frames(model, device, dtype=dtype, channels_last=True)
        for a, b in zip(out, ref):
            assert a.dtype == torch.float32 and torch.isfinite(a).all()
            assert psnr(a, b) > bound, (dtype, psnr(a, b))


@pytest.mark.slow
@pytest.mark.parametrize("device", DEVICES)
def test_deblurrer_compiled_paper_variant_in_bf16_channels_last(monkeypatch, device):
    backend = "inductor" if (device == "cuda" or os.environ.get("UHDVD_TEST_INDUCTOR") == "1") else "aot_eager"
    if backend == "inductor" and device == "cpu" and cxx_compiler() is None:
        pytest.skip("inductor on CPU needs a C++ compiler (g++/c++/clang++ or $CXX); none found")
    monkeypatch.setattr(torch, "compile", functools.partial(torch.compile, backend=backend))
    torch.manual_seed(0)
    model = build_model("uhdvd")
    ref = deblur_two_frames(model, device, dtype="fp32", channels_last=False)
    torch._dynamo.reset()
    try:
        out = deblur_two_frames(model, device, dtype="bf16", channels_last=True, compile=True)
    finally:
        torch._dynamo.reset()
    for a, b in zip(out, ref):
        assert a.dtype == torch.float32 and torch.isfinite(a).all()
        assert psnr(a, b) > MIN_PSNR["bf16"], psnr(a, b)


# ------------------------------------------------------------------------------------------------- interpolation
@pytest.mark.parametrize("device", DEVICES)
def test_interp_network_in_reduced_precision_and_tiles(device):
    from interp.conftest import moving_frames

    from uhdvd_data.interp.methods import make_method
    from uhdvd_data.interp.weights_io import PACKAGE_WEIGHTS

    if not PACKAGE_WEIGHTS.is_file():
        pytest.skip(f"no packaged interpolation weights at {PACKAGE_WEIGHTS}")
    f0, f1 = moving_frames(2, size=(64, 96), speed=4.0)

    def frame(dtype: str, tile: int = 4096) -> torch.Tensor:
        m = make_method("network", weights=PACKAGE_WEIGHTS, device=device, dtype=dtype, tile=tile, tile_overlap=16)
        return m.frame_tensor(m.prepare(f0, f1), 0.5).cpu()

    ref = frame("fp32")
    for dtype, tile in (("bf16", 4096), ("fp16", 4096), ("bf16", 48)):
        out = frame(dtype, tile)
        assert out.dtype == torch.float32 and out.shape == ref.shape and torch.isfinite(out).all()
        assert psnr(out, ref) > MIN_PSNR["bf16"], (dtype, tile, psnr(out, ref))
