"""`--cluster` on a local Ray cluster of 2 CPUs (one ray.init for the module): byte-identical outputs to the plain
run for interpolate, synthesize and build; a worker killed mid-clip is retried; a bad clip is reported by name while
the others finish."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")
clipgen = pytest.importorskip("clipgen")

from uhdvd_data.cluster.runner import HOLD_ENV  # noqa: E402

pytestmark = pytest.mark.slow

INTERP = ["--fps", "480", "--method", "dis", "--device", "cpu"]
SYNTH = ["--window", "9", "--noise", "0.001,0.001"]
CLUSTER = ["--cluster", "local-ray"]


def _cli(*argv: str) -> int:
    from uhdvd_data.cli import main

    try:
        return main(list(argv))
    except SystemExit as e:
        return int(e.code or 0)


def _tree(root: Path) -> dict[str, str]:
    """sha256 of every file under root (relative paths)."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _raw(folder: Path, bad: bool = False) -> None:
    raw = folder / "raw"
    raw.mkdir(parents=True)
    shutil.copy(clipgen.make_clip(size=(96, 64), frames=5), raw / "a.mp4")
    shutil.copy(clipgen.make_clip(size=(96, 64), frames=5, source="testsrc"), raw / "c.mp4")
    shutil.copy(clipgen.scene_cut_clip(size=(96, 64), frames_each=4), raw / "cut.mp4")
    if bad:  # an HDR clip: probed fine up front, refused when its task opens it (--refuse-hdr)
        shutil.copy(clipgen.make_clip(size=(96, 64), codec="libx265", pix_fmt="yuv420p10le", transfer="hlg",
                                      frames=3), raw / "zhdr.mp4")


@pytest.fixture(scope="module")
def hold_dir(tmp_path_factory):
    """A local Ray cluster (2 CPUs) for the whole module; its workers see $UHDVD_CLUSTER_TEST_HOLD (runner._hold)."""
    hold = tmp_path_factory.mktemp("hold")
    old = os.environ.get(HOLD_ENV)
    os.environ[HOLD_ENV] = str(hold)
    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False)
    yield hold
    ray.shutdown()
    if old is None:
        os.environ.pop(HOLD_ENV, None)
    else:
        os.environ[HOLD_ENV] = old


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """The plain (single-machine) run: raw/ -> interp/ -> dataset/ + manifests/, and build -> built/ + bmanifests/."""
    root = tmp_path_factory.mktemp("plain")
    _raw(root)
    cwd = os.getcwd()
    os.chdir(root)
    try:
        assert _cli("interpolate", "raw", *INTERP, "--no-progress") == 0
        assert _cli("synthesize", *SYNTH, "--no-progress") == 0
        assert _cli("build", "raw", *INTERP, *SYNTH, "--out", "built", "--manifest", "bmanifests/4krd.csv",
                    "--no-progress") == 0
    finally:
        os.chdir(cwd)
    return root


def _kill_when_held(hold: Path, clip: str, killed: list) -> threading.Thread:
    """SIGKILL the worker that holds `clip` (it writes <clip>.pid), in a background thread."""
    def run() -> None:
        pid_file = hold / f"{clip}.pid"
        deadline = time.time() + 90
        while time.time() < deadline:
            if pid_file.is_file() and pid_file.read_text():
                time.sleep(0.2)  # let the writer thread finish the frame in hand
                os.kill(int(pid_file.read_text()), signal.SIGKILL)
                killed.append(int(pid_file.read_text()))
                pid_file.unlink()
                return
            time.sleep(0.05)

    th = threading.Thread(target=run, daemon=True)
    th.start()
    return th


def test_interpolate_is_identical_and_resumes(hold_dir, reference, in_tmp, capsys):
    _raw(in_tmp)
    assert _cli("interpolate", "raw", *INTERP, *CLUSTER) == 0
    err = capsys.readouterr().err
    assert "interpolate: 100%" in err and "3/3" in err and "interpolate frames" in err  # clips and frames bars
    assert _tree(in_tmp / "interp") == _tree(reference / "interp")
    assert _cli("interpolate", "raw", *INTERP, *CLUSTER, "--no-progress") == 0
    assert "skipped 3 finished" in capsys.readouterr().out


def test_synthesize_is_identical(hold_dir, reference, in_tmp):
    shutil.copytree(reference / "interp", in_tmp / "interp")
    assert _cli("synthesize", *SYNTH, *CLUSTER, "--no-progress") == 0
    assert _tree(in_tmp / "dataset") == _tree(reference / "dataset")
    assert _tree(in_tmp / "manifests") == _tree(reference / "manifests")


def test_build_worker_killed_mid_clip_is_retried_and_identical(hold_dir, reference, in_tmp):
    _raw(in_tmp)
    (hold_dir / "cut.hold").write_text("40")  # the worker building clip `cut` waits after 40 frames
    killed: list = []
    th = _kill_when_held(hold_dir, "cut", killed)
    assert _cli("build", "raw", *INTERP, *SYNTH, *CLUSTER, "--out", "built", "--manifest", "bmanifests/4krd.csv",
                "--no-progress") == 0
    th.join(timeout=5)
    assert killed, "the worker was not held"
    assert _tree(in_tmp / "built") == _tree(reference / "built")
    assert _tree(in_tmp / "bmanifests") == _tree(reference / "bmanifests")


def test_worker_dying_every_try_is_reported_by_name(hold_dir, in_tmp, capsys):
    _raw(in_tmp)
    (hold_dir / "a.hold").write_text("1")
    killed: list = []
    th = _kill_when_held(hold_dir, "a", killed)
    assert _cli("interpolate", "raw", *INTERP, *CLUSTER, "--max-retries", "0", "--no-progress") == 1
    th.join(timeout=5)
    err = capsys.readouterr().err
    assert killed
    assert [ln for ln in err.splitlines() if ln.startswith("a: failed:")] == [
        next(ln for ln in err.splitlines() if "its worker process died, 1 time(s)" in ln)]
    assert "error: 1 clip(s) failed: a" in err
    assert all((in_tmp / "interp" / c / "clip.json").is_file() for c in ("c", "cut"))
    assert not (in_tmp / "interp" / "a" / "clip.json").exists()


def test_bad_clip_is_reported_once_and_the_others_finish(hold_dir, in_tmp, capsys):
    _raw(in_tmp, bad=True)
    assert _cli("build", "raw", *INTERP, *SYNTH, *CLUSTER, "--refuse-hdr", "--no-progress") == 1
    out, err = capsys.readouterr()
    failed = [ln for ln in err.splitlines() if "zhdr" in ln]
    assert len(failed) == 2, err  # the clip's own line, and the summary
    assert failed[0].startswith("zhdr: failed: raw/zhdr.mp4: HDR footage"), failed
    assert failed[1] == "uhdvd-data: error: 1 clip(s) failed: zhdr; manifests/4krd.csv holds the other 3 clip(s)"
    from uhdvd_data.synth.manifest import read_manifest

    assert {r["clip_id"] for r in read_manifest(in_tmp / "manifests/4krd.csv")} == {"a", "c", "cut"}
    assert "pairs from 3 clip(s)" in out
    # interpolate: the same one line for the bad clip, the three others interpolated
    assert _cli("interpolate", "raw", *INTERP, *CLUSTER, "--refuse-hdr", "--no-progress") == 1
    err = capsys.readouterr().err
    assert len([ln for ln in err.splitlines() if ln.startswith("zhdr: failed: raw/zhdr.mp4: HDR footage")]) == 1
    assert all((in_tmp / "interp" / c / "clip.json").is_file() for c in ("a", "c", "cut"))


def test_synthesize_bad_frame_is_reported_and_the_others_finish(hold_dir, reference, in_tmp, capsys):
    shutil.copytree(reference / "interp", in_tmp / "interp")
    frame = in_tmp / "interp" / "c" / "000013.png"  # inside the first window of clip c (header kept: checked upfront)
    frame.write_bytes(frame.read_bytes()[:64])
    assert _cli("synthesize", *SYNTH, *CLUSTER, "--no-progress") == 1
    err = capsys.readouterr().err
    assert [ln for ln in err.splitlines() if ln.startswith("c: failed: ")] == [
        next(ln for ln in err.splitlines() if "interp/c/000013.png" in ln)], err
    assert err.splitlines()[-1] == "uhdvd-data: error: 1 clip(s) failed: c; manifests/4krd.csv holds the other 2 clip(s)"
    from uhdvd_data.synth.manifest import read_manifest

    rows = read_manifest(in_tmp / "manifests/4krd.csv")
    assert {r["clip_id"] for r in rows} == {"a", "cut"}
    want = [ln for ln in (reference / "manifests/4krd.csv").read_text().splitlines()[1:] if not ln.startswith("c,")]
    assert (in_tmp / "manifests/4krd.csv").read_text().splitlines()[1:] == want
