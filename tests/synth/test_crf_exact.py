"""Exactness: a blur pixel equals the formula applied to the window's frames (+-1 LSB), every CRF, 8 and 16 bit."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from uhdvd_data.common.errors import UserError
from uhdvd_data.common.images import read_image
from uhdvd_data.interp.store import InterpClip
from uhdvd_data.synth import crf
from uhdvd_data.synth.blur import blur_window
from uhdvd_data.synth.crf import Codec, reference_blur

MODES = ["srgb", "gamma2.2", "bt709", "linear", "hlg", "pq"]


def _lut_file(tmp_path, n=1024):
    # a plausible camera response: gamma-ish with a toe
    x = np.linspace(0, 1, n)
    table = 0.02 * x + 0.98 * x**2.3
    p = tmp_path / "crf.txt"
    p.write_text("\n".join(f"{v:.12f}" for v in table))
    return p


def _transfer(mode, tmp_path):
    return crf.load_lut(_lut_file(tmp_path)) if mode == "lut" else crf.transfer(mode)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("mode", MODES + ["lut"])
def test_codec_blur_matches_formula(mode, dtype, tmp_path):
    tf = _transfer(mode, tmp_path)
    rng = np.random.default_rng(0)
    maxv = np.iinfo(dtype).max
    frames = [rng.integers(0, maxv + 1, (16, 24, 3)).astype(dtype) for _ in range(13)]
    frames[0][0, 0] = 0  # extremes
    frames[1][0, 1] = maxv
    got = blur_window(Codec(tf, dtype), frames)
    ref = reference_blur(frames, tf)
    assert got.dtype == dtype
    assert np.abs(got.astype(np.int64) - ref.astype(np.int64)).max() <= 1


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("mode", MODES)
def test_encode_is_round_half_up(mode, dtype):
    tf = crf.transfer(mode)
    codec = Codec(tf, dtype)
    lin = np.random.default_rng(1).random(20000) ** 3  # many dark values
    lin = np.concatenate([lin, [0.0, 1.0, 1e-12]])
    got = codec.encode(lin).astype(np.int64)
    ref = np.floor(tf.from_linear(lin) * codec.maxv + 0.5).astype(np.int64)
    assert np.abs(got - ref).max() <= 1
    # the linear table holds the curve at each code value and round-trips exactly
    codes = np.arange(0, codec.maxv + 1, max(1, codec.maxv // 1000)).astype(dtype)
    assert np.array_equal(codec.encode(codec.to_linear(codes)), codes)


def test_linear_mode_is_plain_average():
    frames = [np.full((2, 2, 3), v, np.uint8) for v in (10, 11, 12, 14, 15)]
    out = blur_window(Codec(crf.transfer("linear"), np.uint8), frames)
    assert (out == 12).all()  # (10+11+12+14+15)/5 = 12.4 -> 12
    frames = [np.full((1, 1, 3), v, np.uint8) for v in (0, 1, 1)]
    assert blur_window(Codec(crf.transfer("linear"), np.uint8), frames)[0, 0, 0] == 1  # 0.667 -> 1


def test_srgb_curve_constants():
    assert crf.srgb_to_linear(np.array([0.04045]))[0] == pytest.approx(0.04045 / 12.92)
    assert crf.srgb_to_linear(np.array([1.0]))[0] == pytest.approx(1.0)
    x = np.linspace(0, 1, 1001)
    assert np.allclose(crf.srgb_from_linear(crf.srgb_to_linear(x)), x, atol=1e-12)
    assert np.allclose(crf.bt709_from_linear(crf.bt709_to_linear(x)), x, atol=1e-12)
    assert np.allclose(crf.gamma22_from_linear(crf.gamma22_to_linear(x)), x, atol=1e-12)


@pytest.mark.parametrize(
    "content, msg",
    [
        ("\n".join(str(i) for i in range(100)), "entries"),
        ("\n".join(str(i) for i in range(255)) + "\n3", "increasing"),
        ("\n".join(str(i) for i in range(255)) + "\nnan", "non-finite"),
        ("hello", "readable"),
    ],
)
def test_bad_lut(tmp_path, content, msg):
    p = tmp_path / "bad.txt"
    p.write_text(content)
    with pytest.raises(UserError, match=msg):
        crf.load_lut(p)


def test_unknown_crf():
    with pytest.raises(UserError, match="unknown CRF"):
        crf.transfer("rec2020")


def test_lut_formats(tmp_path):
    table = np.linspace(0, 1, 256) ** 2
    np.save(tmp_path / "t.npy", table)
    (tmp_path / "t.csv").write_text("\n".join(f"{i},{v}" for i, v in enumerate(table)))
    a, b = crf.load_lut(tmp_path / "t.npy"), crf.load_lut(tmp_path / "t.csv")
    assert np.allclose(a.lut, b.lut)
    assert a.name.startswith("lut:")


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("mode", MODES + ["lut"])
def test_cli_blur_pixels_match_formula(in_tmp, mkclip, mode, dtype):
    """End to end: the PNG written by `synthesize` equals the formula on the window's interp frames."""
    from uhdvd_data.synth.dataset import SynthConfig, synthesize_dataset

    mkclip(in_tmp / "interp", "c0", n_src=3, factor=8, h=8, w=12, dtype=dtype)
    lut = str(_lut_file(in_tmp)) if mode == "lut" else None
    cfg = SynthConfig(window=7, crf=mode if mode != "lut" else "srgb", crf_lut=lut)
    synthesize_dataset(cfg=cfg, show_progress=False)
    clip = InterpClip("interp/c0")
    tf = _transfer(mode, in_tmp)
    with open("manifests/4krd.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 1 and rows[0]["crf"] == tf.name and rows[0]["bit_depth"] == str(8 * np.dtype(dtype).itemsize)
    r = rows[0]
    frames = [clip.read(i) for i in range(int(r["start_idx"]), int(r["end_idx"]) + 1)]
    blur = read_image("manifests/" + r["blur_path"])
    sharp = read_image("manifests/" + r["sharp_path"])
    assert blur.dtype == dtype
    assert np.abs(blur.astype(np.int64) - reference_blur(frames, tf).astype(np.int64)).max() <= 1
    assert np.array_equal(sharp, clip.read(8))  # centre = captured source frame 1
