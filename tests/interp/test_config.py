"""InterpConfig: one set of interpolation options for `interpolate` and `build`, checked before any work."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from uhdvd_data.common.errors import UserError
from uhdvd_data.interp.config import InterpConfig, add_interp_options, from_args

BIN = Path(sys.executable).parent


def test_interpolate_and_build_take_the_same_interpolation_options():
    def options(cmd):
        r = subprocess.run([str(BIN / "uhdvd-data"), cmd, "--help"], capture_output=True, text=True)
        return {w.strip("[],") for w in r.stdout.split() if w.startswith(("--", "[--"))}

    shared = {"--method", "--motion", "--trajectory", "--weights", "--device", "--dtype", "--tile", "--tile-overlap",
              "--max-tile", "--vfr", "--allow-hdr", "--refuse-hdr", "--scene-threshold", "--ensemble"}
    assert shared <= options("interpolate") and shared <= options("build")


def test_defaults_and_bad_values():
    p = argparse.ArgumentParser()
    add_interp_options(p)
    cfg = from_args(p.parse_args([]))
    assert cfg == InterpConfig()
    assert cfg.method_kwargs()["motion"] == "fused" and cfg.clip_kwargs() == {"vfr": "cfr", "allow_hdr": True,
                                                                              "scene_threshold": 0.7, "io_queue": 4}
    assert cfg.method_kwargs()["motion_workers"] is None  # None: decided by the device (methods.default_motion_workers)
    assert cfg.method_kwargs()["ensemble"] == "auto"
    assert from_args(p.parse_args(["--ensemble", "none"])).method_kwargs()["ensemble"] == "none"
    for bad in (["--method", "magic"], ["--ensemble", "twice"]):
        with pytest.raises(SystemExit):
            p.parse_args(bad)  # argparse: one line, exit 2
    with pytest.raises(UserError):
        InterpConfig(ensemble="twice").check()
    for bad in (["--scene-threshold", "2"], ["--tile", "-1"]):
        with pytest.raises(UserError):
            from_args(p.parse_args(bad))


def test_build_refuses_a_bad_option_before_any_work(tmp_path):
    r = subprocess.run([str(BIN / "uhdvd-data"), "build", str(tmp_path / "missing"), "--scene-threshold", "3"],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode != 0 and r.stderr.count("\n") == 1 and "--scene-threshold" in r.stderr
    assert not any(tmp_path.iterdir())
