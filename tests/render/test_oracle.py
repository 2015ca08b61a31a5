"""Exact-motion ceiling: the scene's exact flow and the oracle interpolator built on it."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from uhdvd_data.interp.methods import DisMethod
from uhdvd_data.render import OracleMethod, Scene, benchmark_scenes, load_photo
from uhdvd_model.eval.metrics import psnr


def q8(x: np.ndarray) -> np.ndarray:
    return (np.clip(x, 0, 1) * 255 + 0.5).astype(np.uint8)


def test_exact_flow_carries_a_frame_to_another_time():
    sc = Scene(load_photo("astronaut"), None, (64, 96), (256.0, 256.0), (6.0, -3.0), 0.1, 0.03, 1.0, 0.02)
    f0, ft = sc.render(0.0), sc.render(0.6)
    h, w = sc.size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    for flow, want in ((sc.exact_flow(0.6, 0.0), 44.0), (np.zeros((h, w, 2), np.float32), None)):
        moved = cv2.remap(f0, xx + flow[..., 0], yy + flow[..., 1], cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT101)
        score = psnr(q8(moved)[8:-8, 8:-8], q8(ft)[8:-8, 8:-8])
        if want is not None:
            assert score > want, score
        else:
            assert score < 30, score  # the scene really moves: no motion is far off


def test_exact_flow_follows_the_occluder_on_it():
    sc = benchmark_scenes(1, size=(90, 160), seed=3)[0]
    flow = sc.exact_flow(0.0, 0.5)
    on = sc.occluder_alpha(0.0) > 0.5
    assert on.any() and (~on).any()
    np.testing.assert_allclose(flow[on], np.broadcast_to(np.float32(sc.occ_vel) * 0.5, flow[on].shape), atol=1e-4)
    camera = sc.exact_flow(0.0, 0.5, occluder=False)
    np.testing.assert_array_equal(camera[~on], flow[~on])
    assert np.abs(camera[on] - flow[on]).max() > 1.0


def test_oracle_is_exact_at_the_ends_and_beats_dis():
    sc = benchmark_scenes(1, size=(90, 160), seed=5)[0]
    f0, f1 = q8(sc.render(0.0)), q8(sc.render(1.0))
    oracle = OracleMethod(sc)
    st = oracle.prepare(f0, f1)
    np.testing.assert_array_equal(oracle.frame(st, 0.0), f0)
    dis = DisMethod(motion="fused")
    sd = dis.prepare(f0, f1)
    truth = q8(sc.render(0.5))
    got, base = psnr(oracle.frame(st, 0.5), truth), psnr(dis.frame(sd, 0.5), truth)
    assert got > base + 2.0, (got, base)
    # the oracle's quality comes from the scene's motion: a wrong scene makes it worse than dis
    wrong = OracleMethod(dataclasses.replace(sc, vel=(-sc.vel[0], -sc.vel[1])))
    assert psnr(wrong.frame(wrong.prepare(f0, f1), 0.5), truth) < base


def test_oracle_knows_the_pair_start_time():
    sc = benchmark_scenes(1, size=(90, 160), seed=5)[0]
    f2, f3 = q8(sc.render(2.0)), q8(sc.render(3.0))
    oracle = OracleMethod(sc)
    truth = q8(sc.render(2.5))
    right = psnr(oracle.frame(oracle.prepare(f2, f3, t0=2.0), 0.5), truth)
    wrong = psnr(oracle.frame(oracle.prepare(f2, f3, t0=0.0), 0.5), truth)
    assert right > wrong + 3.0, (right, wrong)
