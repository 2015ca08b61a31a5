"""uhdvd-pipeline: stages run in order, finished stages are skipped, a changed stage reruns itself and later ones."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest
import yaml

from uhdvd_data.common.errors import UserError
from uhdvd_model.cli_pipeline import load_pipeline, run_pipeline

PY = shlex.quote(sys.executable)


def _stage(name, text):
    code = f"open('log.txt', 'a').write('{text}\\n')"
    return {"name": name, "run": f"{PY} -c {shlex.quote(code)}"}


def _write(tmp_path, stages, name="p.yaml"):
    p = tmp_path / name
    p.write_text(yaml.safe_dump({"name": "t", "workdir": "work", "stages": stages, "show": ["log.txt", "nope"]}))
    return p


def test_skips_finished_and_reruns_changed_and_later(tmp_path, capsys):
    p = _write(tmp_path, [_stage("a", "A"), _stage("b", "B"), _stage("c", "C")])
    run_pipeline(p)
    log = tmp_path / "work/log.txt"
    assert log.read_text() == "A\nB\nC\n"
    run_pipeline(p)
    assert log.read_text() == "A\nB\nC\n"
    out = capsys.readouterr().out
    assert out.count("[skip]") == 3 and "log.txt" in out and "(missing)" in out
    _write(tmp_path, [_stage("a", "A"), _stage("b", "B2"), _stage("c", "C")])
    run_pipeline(p)
    assert log.read_text() == "A\nB\nC\nB2\nC\n"
    run_pipeline(p, only="a", force=True)
    assert log.read_text().endswith("C\nA\n")


def test_failed_stage_stops_and_is_not_stamped(tmp_path):
    bad = {"name": "bad", "run": f"{PY} -c 'import sys; sys.exit(3)'"}
    p = _write(tmp_path, [_stage("a", "A"), bad, _stage("c", "C")])
    with pytest.raises(UserError, match=r"stage 'bad' failed \(exit 3\)"):
        run_pipeline(p)
    assert (tmp_path / "work/log.txt").read_text() == "A\n"
    assert not (tmp_path / "work/.pipeline/bad.done").exists()


def test_bad_pipeline_files(tmp_path):
    p = tmp_path / "x.yaml"
    p.write_text("stages: []\n")
    with pytest.raises(UserError, match="non-empty 'stages'"):
        load_pipeline(p)
    p.write_text(yaml.safe_dump({"stages": [_stage("a", "A"), _stage("a", "B")]}))
    with pytest.raises(UserError, match="used twice"):
        load_pipeline(p)


@pytest.mark.parametrize("name", ["demo.yaml", "4krd.yaml"])
def test_shipped_pipelines_are_valid(name):
    spec = load_pipeline(Path(__file__).resolve().parents[1] / "pipelines" / name)
    names = [s["name"] for s in spec["stages"]]
    assert names[-2:] == ["train", "eval"]
    assert any("uhdvd-train" in s["run"] for s in spec["stages"])
