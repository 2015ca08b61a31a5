"""The separable local-convolution op: reference forward/backward and the Triton kernels (interpreter on CPU)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
import torch

from uhdvd_data.interp import sepconv_ref as ref


def _rand(b=2, c=3, h=5, w=4, k=3, dtype=torch.float64, seed=0):
    g = torch.Generator().manual_seed(seed)
    inp = torch.randn(b, c, h + k - 1, w + k - 1, dtype=dtype, generator=g)
    v = torch.randn(b, k, h, w, dtype=dtype, generator=g)
    hh = torch.randn(b, k, h, w, dtype=dtype, generator=g)
    return inp, v, hh


@pytest.mark.parametrize("rows", [2, 64])
def test_forward_matches_naive(rows):
    inp, v, h = _rand(h=7, w=6, k=5)
    out = ref.sepconv_forward(inp, v, h, rows=rows)
    assert torch.allclose(out, ref.sepconv_naive(inp, v, h), atol=1e-12)


def test_identity_kernels_copy_the_input():
    inp, v, h = _rand(k=5, dtype=torch.float32)
    v.zero_()
    h.zero_()
    v[:, 2] = 1
    h[:, 2] = 1
    assert torch.equal(ref.sepconv_ref(inp, v, h), inp[:, :, 2:-2, 2:-2])


def test_gradcheck(monkeypatch):
    monkeypatch.setattr(ref, "DEFAULT_ROWS", 2)  # exercise the row blocks
    inp, v, h = _rand(h=5, w=4, k=3)
    for t in (inp, v, h):
        t.requires_grad_(True)
    assert torch.autograd.gradcheck(ref.SepConvFunction.apply, (inp, v, h), eps=1e-6, atol=1e-5)


def test_shape_errors():
    inp, v, h = _rand(k=3, dtype=torch.float32)
    with pytest.raises(ValueError):
        ref.sepconv_ref(inp[:, :, 1:], v, h)


def test_dispatcher_uses_reference_on_cpu():
    from uhdvd_data.interp.sepconv import pick_backend

    assert pick_backend(torch.zeros(1)) == "ref"


TRITON_SCRIPT = textwrap.dedent(
    """
    import os
    assert os.environ["TRITON_INTERPRET"] == "1"
    import torch
    from uhdvd_data.interp.sepconv_ref import sepconv_naive, sepconv_backward
    from uhdvd_data.interp.sepconv_triton import sepconv_triton_forward, sepconv_triton_backward
    from uhdvd_data.interp.sepconv import sepconv
    g = torch.Generator().manual_seed(1)
    for (b, c, h, w, k) in [(2, 3, 4, 5, 3)]:
        inp = torch.randn(b, c, h + k - 1, w + k - 1, generator=g)
        v = torch.randn(b, k, h, w, generator=g)
        hh = torch.randn(b, k, h, w, generator=g)
        out = sepconv_triton_forward(inp, v, hh)
        err = (out - sepconv_naive(inp, v, hh)).abs().max().item()
        assert err < 1e-4, ("forward", err)
        gr = torch.randn(out.shape, generator=g)
        got = sepconv_triton_backward(gr, inp, v, hh)
        want = sepconv_backward(gr, inp, v, hh)
        for name, a, r in zip("ivh", got, want):
            e = (a - r).abs().max().item()
            assert e < 1e-4, (name, e)
        # dispatcher with an explicit backend goes through the Triton autograd Function
        x = inp.clone().requires_grad_(True)
        y = sepconv(x, v, hh, backend="triton")
        y.backward(gr)
        assert (x.grad - want[0]).abs().max().item() < 1e-4
    print("TRITON-OK")
    """
)


@pytest.mark.slow
def test_triton_kernels_match_reference_under_interpreter():
    pytest.importorskip("triton")
    env = dict(os.environ, TRITON_INTERPRET="1")
    r = subprocess.run([sys.executable, "-c", TRITON_SCRIPT], capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "TRITON-OK" in r.stdout


@pytest.mark.gpu
def test_triton_on_cuda_matches_reference():
    from uhdvd_data.interp.sepconv_triton import sepconv_triton_forward

    inp, v, h = _rand(b=1, c=3, h=64, w=80, k=11, dtype=torch.float32)
    out = sepconv_triton_forward(inp.cuda(), v.cuda(), h.cuda()).cpu()
    assert torch.allclose(out, ref.sepconv_forward(inp, v, h), atol=1e-3, rtol=1e-4)
