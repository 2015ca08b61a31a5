"""Weights: official .pkl import (legacy pickles, weights_only) strict both ways, convert, safetensors round trip."""

from __future__ import annotations

import json

import pytest
import torch
from modelkit import rand_img

from uhdvd_data.common.errors import UserError
from uhdvd_model.arch import build_model
from uhdvd_model.weights import OFFICIAL_FILES, convert, load_weights, save_weights


def write_official(folder, model, drop=None, extra=None):
    """The released layout: 8 legacy (non-zip) pickles of plain state dicts."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in OFFICIAL_FILES:
        sd = model.get_submodule(name[:-4]).state_dict()
        if drop and drop[0] == name:
            sd.pop(drop[1])
        if extra and extra[0] == name:
            sd[extra[1]] = torch.zeros(1)
        torch.save(sd, folder / name, _use_new_zipfile_serialization=False)
    return folder


def _out(model, b):
    with torch.inference_mode():
        return model.forward_levels(model.level_inputs(b, b))[0]


@pytest.fixture(scope="module")
def official_model():
    torch.manual_seed(1)
    return build_model("uhdvd_official").eval()


def test_pkl_round_trip_weights_only(tmp_path, official_model):
    d = write_official(tmp_path / "4KRD", official_model)
    with open(d / "encoder_lv1.pkl", "rb") as fh:
        assert fh.read(2) != b"PK"  # legacy format, not a zip archive
    model, meta = load_weights(d)
    assert model.arch_name == "uhdvd_official" and "official" in meta["source"]
    for k, v in official_model.state_dict().items():
        assert torch.equal(model.state_dict()[k], v), k
    b = rand_img(1, 3, 128, 128)
    assert torch.equal(_out(model, b), _out(official_model, b))


def test_official_missing_key_is_an_error(tmp_path, official_model):
    d = write_official(tmp_path / "m", official_model, drop=("decoder_lv3.pkl", "layer24.bias"))
    with pytest.raises(UserError, match=r"1 missing key\(s\) \(e.g. decoder_lv3.layer24.bias\)"):
        load_weights(d)


def test_official_unexpected_key_is_an_error(tmp_path, official_model):
    d = write_official(tmp_path / "u", official_model, extra=("encoder_lv2.pkl", "layer4.weight"))
    with pytest.raises(UserError, match=r"unexpected key\(s\) \(e.g. encoder_lv2.layer4.weight\)"):
        load_weights(d)


def test_official_missing_file_and_unsafe_pickle(tmp_path, official_model):
    d = write_official(tmp_path / "f", official_model)
    (d / "decoder_lv4.pkl").unlink()
    with pytest.raises(UserError, match="decoder_lv4.pkl is missing"):
        load_weights(d)
    d = write_official(tmp_path / "g", official_model)
    torch.save({"layer1.weight": torch.zeros(1), "evil": UserError("x")}, d / "encoder_lv1.pkl",
               _use_new_zipfile_serialization=False)
    with pytest.raises(UserError, match="weights_only"):
        load_weights(d)


def test_convert_then_load_gives_identical_outputs(tmp_path, official_model):
    d = write_official(tmp_path / "4KRD", official_model)
    out = convert(d, tmp_path / "official.safetensors")
    info = json.loads(out.with_suffix(".json").read_text())
    assert info["arch"] == "uhdvd_official" and set(info["meta"]["files"]) == set(OFFICIAL_FILES)
    assert b"pickle" not in out.read_bytes()[:8]
    model, _ = load_weights(out)
    b = rand_img(1, 3, 128, 128, seed=4)
    assert torch.equal(_out(model, b), _out(official_model, b))


def test_safetensors_round_trip_and_strict(tmp_path):
    m = build_model("uhdvd", spaa="serial").eval()
    p = save_weights(m, tmp_path / "w.safetensors", {"steps": 3})
    info = json.loads((tmp_path / "w.json").read_text())
    assert info["arch"] == "uhdvd" and info["kwargs"] == {"spaa": "serial"} and info["meta"] == {"steps": 3}
    m2, meta = load_weights(p, spaa="batch")
    assert meta == {"steps": 3} and m2.spaa == "batch"
    for k, v in m.state_dict().items():
        assert torch.equal(m2.state_dict()[k], v)
    # same keys, other architecture: official weights into the paper variant work; DMPHN does not
    assert load_weights(p, arch="uhdvd_official")[0].arch_name == "uhdvd_official"
    with pytest.raises(UserError, match="do not match"):
        load_weights(p, arch="dmphn")
    run = tmp_path / "run"
    save_weights(m, run / "model.safetensors", {})
    assert load_weights(run)[0].arch_name == "uhdvd"  # a training run folder
    (tmp_path / "w.json").unlink()
    with pytest.raises(UserError, match="sidecar"):
        load_weights(p)
    with pytest.raises(UserError, match="no such"):
        load_weights(tmp_path / "none.safetensors")
