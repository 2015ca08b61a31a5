"""interp.ensemble: the mirror ensemble (the pair as it is and mirrored left-right, averaged)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from uhdvd_data.interp.config import InterpConfig
from uhdvd_data.interp.ensemble import MirrorEnsemble, with_ensemble
from uhdvd_data.interp.methods import DisMethod, make_method
from uhdvd_data.interp.pipeline import generate

from .conftest import moving_frames
from .test_real_motion import _psnr, non_rigid_frames


def _mirror(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a[:, ::-1])


def test_the_ensemble_is_mirror_equivariant_where_dis_is_not():
    f0, _, f1 = non_rigid_frames((64, 96))
    inner, ens = DisMethod(), MirrorEnsemble(DisMethod())
    plain = inner.frame(inner.prepare(f0, f1), 0.5)
    mirrored_back = _mirror(inner.frame(inner.prepare(_mirror(f0), _mirror(f1)), 0.5))
    assert np.abs(plain.astype(int) - mirrored_back).max() > 8  # DIS sees a mirrored pair differently
    e = ens.frame(ens.prepare(f0, f1), 0.5)
    e_of_mirror = ens.frame(ens.prepare(_mirror(f0), _mirror(f1)), 0.5)
    assert np.abs(_mirror(e_of_mirror).astype(int) - e).max() <= 1  # the same frame, up to the rounding of a half


@pytest.mark.parametrize("motion", ["fused", "plain"])
def test_the_ensemble_is_no_worse_on_a_non_rigid_mover(motion):
    f0, truth, f1 = non_rigid_frames((64, 96))
    inner, ens = DisMethod(motion=motion), MirrorEnsemble(DisMethod(motion=motion))
    one = _psnr(inner.frame(inner.prepare(f0, f1), 0.5), truth)
    two = _psnr(ens.frame(ens.prepare(f0, f1), 0.5), truth)
    assert two >= one - 0.02, (one, two)


def test_where_the_motion_is_plain_the_ensemble_changes_little():
    f = moving_frames(3, size=(64, 96), speed=2.0)
    inner, ens = DisMethod(), MirrorEnsemble(DisMethod())
    a = inner.frame(inner.prepare(f[0], f[2]), 0.5)
    b = ens.frame(ens.prepare(f[0], f[2]), 0.5)
    assert _psnr(a, b) > 38
    assert _psnr(b, f[1]) > _psnr(a, f[1]) - 0.1


def test_a_clip_estimates_each_pair_twice_not_more(monkeypatch):
    """The plain and mirrored pairs share the inner motion cache: pair motion is computed once per direction, also
    for the neighbouring pairs the quadratic trajectories look at."""
    calls = []
    real = DisMethod._estimate

    def counting(self, a, b):
        calls.append(1)
        return real(self, a, b)

    monkeypatch.setattr(DisMethod, "_estimate", counting)
    frames = moving_frames(6, size=(48, 64), speed=2.0)
    out = list(generate(iter(frames), MirrorEnsemble(DisMethod()), 2, Fraction(30), {}))
    assert len(out) == 11
    assert len(calls) == 2 * 5


def test_the_cli_default_is_the_auto_ensemble_and_it_is_in_the_description(no_default_weights):
    cfg = InterpConfig()
    assert cfg.ensemble == "auto"
    m = make_method(**dict(cfg.method_kwargs(), device="cpu", warn_fn=lambda s: None))
    assert isinstance(m, MirrorEnsemble) and m.auto
    assert m.describe()["ensemble"] == "auto" and m.describe()["method"] == "dis"
    assert make_method("dis", device="cpu", ensemble="mirror").describe()["ensemble"] == "mirror"
    assert m.name == "dis" and str(m.device) == "cpu"  # the inner method's attributes
    assert not isinstance(make_method("dis", device="cpu", ensemble="none"), MirrorEnsemble)
    with pytest.raises(ValueError):
        with_ensemble(DisMethod(), "flipflop")


def test_frames_on_the_device_match_the_host_frames():
    f = moving_frames(3, size=(48, 64), speed=2.0, dtype=np.uint16)
    ens = MirrorEnsemble(DisMethod())
    st = ens.prepare(f[0], f[2])
    host = ens.frame(st, 0.25)
    assert host.dtype == np.uint16 and host.shape == f[0].shape
    assert np.array_equal(ens.frame_codes(st, 0.25).numpy().astype(np.uint16), host)


def test_the_network_method_runs_inside_the_ensemble():
    from uhdvd_data.interp.weights_io import PACKAGE_WEIGHTS

    if not PACKAGE_WEIGHTS.is_file():
        pytest.skip("no packaged interpolation weights")
    f0, _, f1 = non_rigid_frames((64, 96))
    m = make_method("network", weights=PACKAGE_WEIGHTS, device="cpu", ensemble="mirror", tile=64, tile_overlap=16)
    assert isinstance(m, MirrorEnsemble) and m.describe()["ensemble"] == "mirror" and m.weights_sha256
    e = m.frame(m.prepare(f0, f1), 0.5)
    e_of_mirror = m.frame(m.prepare(_mirror(f0), _mirror(f1)), 0.5)
    assert e.shape == f0.shape and np.abs(_mirror(e_of_mirror).astype(int) - e).max() <= 1


def test_auto_mirrors_only_frames_whose_flows_are_estimated_at_half_resolution_or_more():
    """auto: long side <= 2 x the method's flow_max_side -> the mirror ensemble; above it (4K with the default
    1024 px) -> the single pass, to the bit."""
    f0, _, f1 = non_rigid_frames((48, 64))
    for side, mirrored in ((32, True), (31, False)):
        auto = with_ensemble(DisMethod(flow_max_side=side), "auto")
        one = DisMethod(flow_max_side=side)
        both = MirrorEnsemble(DisMethod(flow_max_side=side))
        got = auto.frame(auto.prepare(f0, f1), 0.5)
        want = (both if mirrored else one).frame((both if mirrored else one).prepare(f0, f1), 0.5)
        assert np.array_equal(got, want), side
        assert auto.mirrors(f0) is mirrored
        assert auto.inner.cache_pairs == (2 if mirrored else 1) * one.cache_pairs  # grown only when it mirrors
