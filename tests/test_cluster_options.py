"""`--cluster` options without a cluster: checked values, and one clear line when Ray is missing."""

from __future__ import annotations

import sys

import pytest


def _cli(*argv: str) -> int:
    from uhdvd_data.cli import main

    try:
        return main(list(argv))
    except SystemExit as e:
        return int(e.code or 0)


@pytest.mark.parametrize("cmd", ["interpolate", "synthesize", "build"])
def test_every_command_takes_the_cluster_options(cmd, capsys):
    from uhdvd_data.cli import build_parser

    with pytest.raises(SystemExit):
        build_parser().parse_args([cmd, "--help"])
    text = capsys.readouterr().out
    for opt in ("--cluster", "--max-retries", "--gpus-per-task", "--cpus-per-task"):
        assert opt in text


@pytest.mark.parametrize("extra, message", [
    (["--cluster", "yarn"], "--cluster 'yarn': expected ray | ray://HOST:PORT | local-ray"),
    (["--cluster", "ray", "--max-retries", "-1"], "--max-retries must be >= 0"),
    (["--cluster", "ray", "--gpus-per-task", "-0.5"], "--gpus-per-task must be >= 0"),
    (["--cluster", "ray", "--cpus-per-task", "0"], "--cpus-per-task must be > 0"),
])
def test_bad_values_are_one_line(in_tmp, capsys, extra, message):
    (in_tmp / "raw").mkdir()
    (in_tmp / "raw" / "a.mp4").write_bytes(b"")
    assert _cli("interpolate", "raw", *extra) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err


def test_missing_ray_is_one_line(monkeypatch):
    from uhdvd_data.cluster import ClusterSpec
    from uhdvd_data.cluster.runner import open_cluster
    from uhdvd_data.common.errors import UserError

    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    with pytest.raises(UserError, match=r"--cluster needs Ray, which is not installed: pip install 'uhdvd\[ray\]'"):
        with open_cluster(ClusterSpec("local-ray")):
            pass


def test_device_and_gpus_per_task():
    from uhdvd_data.cluster import ClusterSpec

    auto = ClusterSpec("ray")
    assert (auto.device(None, True), auto.gpus(True)) == ("cuda", 1.0)
    assert (auto.device(None, False), auto.gpus(False)) == ("cpu", 0.0)
    half = ClusterSpec("ray", gpus_per_task=0.5)
    assert (half.device(None, False), half.gpus(True)) == ("cuda", 0.5)  # a head node without a GPU
    assert ClusterSpec("ray", gpus_per_task=0).device(None, True) == "cpu"
    assert auto.device("cpu", True) == "cpu"
