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
    assert m2.decoder_blocks == 3
    # the paper's 3 residual blocks per decoder stage do not fit the official-compatible variant (2); DMPHN neither
    with pytest.raises(UserError, match="3 residual blocks per decoder stage.*has 2") as e:
        load_weights(p, arch="uhdvd_official")
    assert "\n" not in str(e.value)
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


def _decoder_keys(model):
    return {k for k in model.state_dict() if k.startswith("decoder_lv")}


def test_paper_decoder_blocks_keys_and_old_two_block_files(tmp_path, official_model):
    m3 = build_model("uhdvd")
    m2 = build_model("uhdvd", decoder_blocks=2)
    # 3 blocks per stage: the released keys plus the free slots layer15 / layer19 / layer23, in execution order
    dec = list(m3.decoder_lv2.state_dict())
    assert [k for k in dec if k.endswith(".0.weight")] == [f"layer{i}.0.weight" for i in
                                                          (13, 14, 15, 17, 18, 19, 21, 22, 23)]
    assert _decoder_keys(m2) == _decoder_keys(official_model)
    assert _decoder_keys(m3) - _decoder_keys(m2) == {
        f"decoder_lv{s}.layer{i}.{j}.{w}" for s in range(1, 5) for i in (15, 19, 23) for j in (0, 2)
        for w in ("weight", "bias")}
    with pytest.raises(ValueError, match="n_res"):
        build_model("uhdvd", decoder_blocks=4)

    # a file saved by the 2-block paper variant before decoder_blocks existed: no such kwarg in its sidecar
    torch.manual_seed(3)
    old = build_model("uhdvd", spaa="serial", global_residual=True, decoder_blocks=2).eval()
    p = save_weights(old, tmp_path / "old.safetensors", {"steps": 1})
    js = tmp_path / "old.json"
    info = json.loads(js.read_text())
    info["kwargs"].pop("decoder_blocks")
    js.write_text(json.dumps(info))
    loaded, _ = load_weights(p)
    assert loaded.decoder_blocks == 2 and loaded.global_residual and loaded.arch_kwargs["decoder_blocks"] == 2
    b = rand_img(1, 3, 128, 128, seed=2)
    assert torch.equal(_out(loaded, b), _out(old, b))
    # ... and re-saving records the depth
    save_weights(loaded, tmp_path / "again.safetensors")
    assert json.loads((tmp_path / "again.json").read_text())["kwargs"]["decoder_blocks"] == 2
    # it still loads into the official-compatible variant (same keys), as before
    assert load_weights(p, arch="uhdvd_official")[0].arch_name == "uhdvd_official"

    # the authors' weights into the paper variant: 2 blocks per stage from the keys
    d = write_official(tmp_path / "4KRD", official_model)
    paper, _ = load_weights(d, arch="uhdvd")
    assert paper.variant == "paper" and paper.decoder_blocks == 2
    # an explicit depth that the file does not hold is a one-line error
    with pytest.raises(UserError, match=r"missing key\(s\) \(e.g. decoder_lv1.layer15.0.weight") as e:
        load_weights(p, decoder_blocks=3)
    assert "\n" not in str(e.value)
