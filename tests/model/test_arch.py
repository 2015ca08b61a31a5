"""Architecture: shapes, patch layout, SPAA executions, key layout, tiled level-1 decoder, padding."""

from __future__ import annotations

import pytest
import torch
from modelkit import rand_img

from uhdvd_model.arch import ARCH_NAMES, build_model, spaa
from uhdvd_model.arch.official import bilinear_plan, decode_resize
from uhdvd_model.arch.padding import crop, forward_padded, pad_to_multiple


def _run(model, b, p, mode=None):
    with torch.inference_mode():
        if hasattr(model, "forward_levels"):
            return model.forward_levels(model.level_inputs(b, p), mode=mode)
        return model(b, p, mode=mode)


def test_arch_names():
    assert ARCH_NAMES == ("uhdvd", "uhdvd_official", "dmphn")
    with pytest.raises(ValueError, match="unknown architecture"):
        build_model("nope")
    with pytest.raises(ValueError, match="SPAA"):
        build_model("uhdvd", spaa="fast")


@pytest.mark.parametrize("name", ["uhdvd", "uhdvd_official"])
def test_uhdvd_output_shapes(name):
    m = build_model(name).eval()
    b = rand_img(1, 3, 128, 256)
    outs = _run(m, b, b.flip(-1))
    assert [tuple(o.shape) for o in outs] == [(1, 3, 128, 256), (1, 3, 64, 128), (1, 3, 32, 64), (1, 3, 16, 32)]
    assert all(torch.isfinite(o).all() for o in outs)
    with pytest.raises(ValueError, match="multiples of 128"):
        m(rand_img(1, 3, 128, 200))


def test_uhdvd_prev_matters_and_default_prev_is_blur():
    m = build_model("uhdvd").eval()
    b = rand_img(1, 3, 128, 128)
    with torch.inference_mode():
        a = m(b)[0]
        same = m(b, b)[0]
        other = m(b, rand_img(1, 3, 128, 128, seed=5))[0]
    assert torch.equal(a, same)
    assert (a - other).abs().max() > 1e-4


def test_dmphn_shapes_and_prev_ignored():
    m = build_model("dmphn").eval()
    assert m.size_multiple == 16
    b = rand_img(1, 3, 64, 96)
    with torch.inference_mode():
        o = m(b, None)
        o2 = m(b, rand_img(1, 3, 64, 96, seed=3))
    assert len(o) == 1 and tuple(o[0].shape) == (1, 3, 64, 96)
    assert torch.equal(o[0], o2[0])


def test_patch_layout_matches_released_order():
    # 4 rows x 2 columns grid of level-4 patches, labelled by value
    x = torch.zeros(1, 1, 8, 4)
    for r in range(4):
        for c in range(2):
            x[..., 2 * r:2 * r + 2, 2 * c:2 * c + 2] = 10 * r + c
    p8 = spaa.split(x, 8)
    assert [int(p[0, 0, 0, 0]) for p in p8] == [0, 10, 1, 11, 20, 30, 21, 31]
    q = spaa.split(x, 4)  # TL, TR, BL, BR
    assert [int(p[0, 0, 0, 0]) for p in q] == [0, 1, 20, 21]
    assert [int(p[0, 0, 0, 0]) for p in spaa.split(x, 2)] == [0, 20]
    assert all(torch.equal(a, b) for a, b in zip(spaa.merge(p8, 4), q))
    assert torch.equal(spaa.merge_all(p8), x)


@pytest.mark.parametrize("name,size", [("uhdvd", (128, 128)), ("uhdvd_official", (128, 128)), ("dmphn", (64, 96))])
def test_spaa_executions_identical(name, size):
    m = build_model(name).eval()
    b = rand_img(1, 3, *size)
    p = rand_img(1, 3, *size, seed=1)
    ref = _run(m, b, p, "serial")
    for mode in ("batch", "grouped"):
        outs = _run(m, b, p, mode)
        for r, o in zip(ref, outs):
            assert (r - o).abs().max().item() < 1e-5, mode


def test_spaa_grouped_batch_two_frames():
    m = build_model("uhdvd").eval()
    b = rand_img(2, 3, 128, 128)
    ref = _run(m, b, b, "serial")[0]
    out = _run(m, b, b, "grouped")[0]
    assert (ref - out).abs().max().item() < 1e-5
    assert spaa.resolve_mode("auto", "cpu") in spaa.MODES


OFFICIAL_ENCODER = {
    "layer1.weight": (32, 6, 3, 3), "layer1.bias": (32,),
    "layer2.0.weight": (32, 32, 3, 3), "layer2.2.bias": (32,), "layer3.0.weight": (32, 32, 3, 3),
    "ca1.fc1.weight": (4, 32, 1, 1), "ca1.fc2.weight": (32, 4, 1, 1), "sa1.conv1.weight": (1, 2, 3, 3),
    "layer5.weight": (64, 32, 3, 3), "layer6.0.weight": (64, 64, 3, 3), "layer7.2.weight": (64, 64, 3, 3),
    "ca2.fc1.weight": (8, 64, 1, 1), "ca2.fc2.weight": (64, 8, 1, 1), "sa2.conv1.weight": (1, 2, 3, 3),
    "layer9.weight": (128, 64, 3, 3), "layer10.0.weight": (128, 128, 3, 3), "layer11.2.bias": (128,),
    "ca3.fc1.weight": (16, 128, 1, 1), "ca3.fc2.weight": (128, 16, 1, 1), "sa3.conv1.weight": (1, 2, 3, 3),
}
OFFICIAL_DECODER = {
    "layer13.0.weight": (128, 128, 3, 3), "layer14.2.bias": (128,), "layer16.weight": (128, 64, 4, 4),
    "layer17.0.weight": (64, 64, 3, 3), "layer18.2.weight": (64, 64, 3, 3), "layer20.weight": (64, 32, 4, 4),
    "layer21.0.weight": (32, 32, 3, 3), "layer22.2.bias": (32,), "layer24.weight": (3, 32, 3, 3),
    "layer24.bias": (3,),
}


def test_official_key_layout():
    m = build_model("uhdvd_official")
    for s in range(1, 5):
        enc = m.get_submodule(f"encoder_lv{s}").state_dict()
        dec = m.get_submodule(f"decoder_lv{s}").state_dict()
        for k, shape in OFFICIAL_ENCODER.items():
            assert tuple(enc[k].shape) == shape, k
        for k, shape in OFFICIAL_DECODER.items():
            assert tuple(dec[k].shape) == shape, k
        # 3 convs + 6 residual blocks (2 convs each) with biases, 3 x (fc1, fc2, sa conv) without
        assert len(enc) == 2 * 3 + 6 * 4 + 9
        assert len(dec) == 6 * 4 + 2 * 2 + 2
        assert not any(k.startswith("ca") and k.endswith("bias") for k in enc)
    assert m.decoder_lv1.layer20.stride == (4, 4)
    assert build_model("uhdvd").decoder_lv1.layer20.stride == (2, 2)
    assert build_model("uhdvd").decoder_lv2.layer20.stride == (4, 4)


def test_paper_decoder_three_residual_blocks_per_stage():
    """Paper Sec. 3.1: three residual modules per decoder stage (the released code has two); the third of each
    stage takes the released numbering's free slot (layer15 / layer19 / layer23) and runs last in its stage."""
    m = build_model("uhdvd").eval()
    assert m.decoder_blocks == 3
    for s in range(1, 5):
        dec = m.decoder(s)
        assert dec.stage_names == (("layer13", "layer14", "layer15"), ("layer17", "layer18", "layer19"),
                                   ("layer21", "layer22", "layer23"))
        assert len(dec.state_dict()) == 9 * 4 + 2 * 2 + 2
        assert tuple(dec.layer15[0].weight.shape) == (128, 128, 3, 3)
        assert tuple(dec.layer19[0].weight.shape) == (64, 64, 3, 3)
        assert tuple(dec.layer23[2].weight.shape) == (32, 32, 3, 3)
    assert m.encoder(1).state_dict().keys() == build_model("uhdvd_official").encoder(1).state_dict().keys()
    assert not hasattr(build_model("uhdvd_official").decoder(1), "layer15")
    # every third block is on the data path (level 1 decoder: the deblurred frame)
    b = rand_img(1, 3, 128, 128)
    ref = _run(m, b, b)[0]
    for name in ("layer15", "layer19", "layer23"):
        bias = getattr(m.decoder(1), name)[2].bias
        keep = bias.detach().clone()
        with torch.no_grad():
            bias.add_(0.1)
        assert (_run(m, b, b)[0] - ref).abs().max() > 1e-4, name
        with torch.no_grad():
            bias.copy_(keep)
    assert torch.equal(_run(m, b, b)[0], ref)
    # global_residual still zero-initialises the last (3-channel) convolution of every decoder
    g = build_model("uhdvd", global_residual=True)
    assert all(not g.decoder(s).layer24.weight.any() and not g.decoder(s).layer24.bias.any() for s in range(1, 5))


def test_bilinear_plan_matches_torch():
    x = torch.randn(1, 1, 37, 5)
    for out in (11, 20, 37, 60):
        i0, i1, l0, l1 = bilinear_plan(37, out)
        mine = x[..., torch.from_numpy(i0), :] * torch.from_numpy(l0)[:, None] + \
            x[..., torch.from_numpy(i1), :] * torch.from_numpy(l1)[:, None]
        ref = torch.nn.functional.interpolate(x, size=(out, 5), mode="bilinear", align_corners=False)
        assert (mine - ref).abs().max() < 1e-6


def test_tiled_level1_decoder_equals_untiled():
    dec = build_model("uhdvd_official").decoder_lv1.eval()
    hf, wf = 24, 6
    f, x1, x2 = torch.randn(1, 128, hf, wf), torch.randn(1, 32, 4 * hf, 4 * wf), torch.randn(1, 64, 2 * hf, 2 * wf)
    with torch.inference_mode():
        for out_size in [(8 * hf, 8 * wf), (150, 40), (96, 24)]:
            ref = decode_resize(dec, f, x1, x2, out_size, tile_rows=0)
            for tile in (1, 3, 7):
                got = decode_resize(dec, f, x1, x2, out_size, tile_rows=tile)
                assert got.shape == ref.shape
                assert (got - ref).abs().max().item() <= 1e-5, (out_size, tile)
        # a too small halo is detected (the test can fail)
        bad = decode_resize(dec, f, x1, x2, (8 * hf, 8 * wf), tile_rows=3, halo=1)
        assert (bad - decode_resize(dec, f, x1, x2, (8 * hf, 8 * wf), tile_rows=0)).abs().max() > 1e-4


def test_official_model_tiled_equals_untiled():
    b = rand_img(1, 3, 128, 128)
    m = build_model("uhdvd_official", tile_rows=0).eval()
    with torch.inference_mode():
        ins = m.level_inputs(b, b)
        ref = m.forward_levels(ins, out_size=(100, 90))[0]
        m.tile_rows = 3
        got = m.forward_levels(ins, out_size=(100, 90))[0]
    assert got.shape == (1, 3, 100, 90)
    assert (got - ref).abs().max().item() < 1e-5


def test_padding_crop_back_odd_size():
    x = rand_img(1, 3, 130, 250)
    xp, hw = pad_to_multiple(x, 128)
    assert xp.shape[-2:] == (256, 256) and hw == (130, 250)
    assert torch.equal(crop(xp, hw), x)
    assert torch.equal(xp[..., 200, 249], x[..., 129, 249])  # replicate, not resize
    m = build_model("uhdvd").eval()
    seen = []

    def spy(b, p):  # the model sees the replicate-padded frame; its outputs are cropped back
        out = m(b, p)
        seen.append((b, p, out))
        return out

    spy.size_multiple = 128
    with torch.inference_mode():
        outs = forward_padded(spy, x)
    full = seen[0][2][0]
    assert torch.equal(seen[0][0], xp) and seen[0][1] is None
    assert [tuple(o.shape[-2:]) for o in outs] == [(130, 250), (65, 125), (33, 63), (17, 32)]
    assert torch.equal(outs[0], full[..., :130, :250])


@pytest.mark.parametrize("name", ["uhdvd", "dmphn"])
def test_backward_runs_for_training(name):
    m = build_model(name, spaa="grouped" if name == "uhdvd" else "batch").train()
    b = rand_img(1, 3, 128, 128) if name == "uhdvd" else rand_img(1, 3, 32, 48)
    outs = m(b, b.detach())
    loss = sum(o.square().mean() for o in outs)
    loss.backward()
    assert all(p.grad is not None for p in m.parameters())


def test_naive_released_structure_matches_model():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from model_speed import naive_official

    m = build_model("uhdvd_official", tile_rows=2).eval()
    b, p = rand_img(1, 3, 128, 128), rand_img(1, 3, 128, 128, seed=9)
    with torch.no_grad():
        ins = m.level_inputs(b, p)
        ref = naive_official(m, ins, (100, 90))
        got = m.forward_levels(ins, out_size=(100, 90), mode="grouped")[0]
    assert (ref - got).abs().max().item() < 1e-5


def test_global_residual_starts_at_identity_and_roundtrips(tmp_path):
    import torch

    from uhdvd_model.arch import build_model
    from uhdvd_model.weights import load_weights, save_weights

    torch.manual_seed(0)
    m = build_model("uhdvd", global_residual=True).eval()
    blur = torch.rand(1, 3, 128, 128) - 0.5
    with torch.no_grad():
        outs = m(blur, blur)
    assert torch.equal(outs[0], blur)
    assert torch.allclose(outs[3], torch.nn.functional.avg_pool2d(blur, 8), atol=1e-6)
    with torch.no_grad():
        for p in m.parameters():
            p.add_(0.01 * torch.randn_like(p))
        ref = m(blur, blur)[0]
    save_weights(m, tmp_path / "w.safetensors", {})
    m2, _ = load_weights(tmp_path / "w.safetensors")
    assert m2.global_residual
    with torch.no_grad():
        assert torch.allclose(m2.eval()(blur, blur)[0], ref, atol=1e-6)
