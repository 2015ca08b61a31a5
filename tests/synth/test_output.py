"""Dataset output helpers (uhdvd_data.synth.output)."""

from __future__ import annotations

from pathlib import Path

from uhdvd_data.synth.output import DEFINITIONS, clean_leftovers, relativize, shard_manifest_path


def test_shard_manifest_path():
    m = Path("manifests/4krd.csv")
    assert shard_manifest_path(m, None) == m
    assert shard_manifest_path(m, (2, 8)) == Path("manifests/4krd.shard-2-of-8.csv")


def test_relativize_to_the_manifest_folder(tmp_path):
    rows = [{"blur_path": str(tmp_path / "dataset/train/a/blur/000000.png"),
             "sharp_path": str(tmp_path / "dataset/train/a/sharp/000000.png")}]
    relativize(rows, tmp_path / "manifests" / "4krd.csv")
    assert rows[0]["blur_path"] == "../dataset/train/a/blur/000000.png"
    assert rows[0]["sharp_path"].endswith("sharp/000000.png") and "exposure_s" in DEFINITIONS


def test_clean_leftovers_only_touches_this_run(tmp_path):
    from uhdvd_data.common.atomic import TMP_PREFIX

    mine, other = tmp_path / "dataset/train/a", tmp_path / "dataset/train/b"
    mine.mkdir(parents=True)
    other.mkdir(parents=True)
    (mine / f"{TMP_PREFIX}000001.png.x").write_bytes(b"partial")
    (other / f"{TMP_PREFIX}000001.png.x").write_bytes(b"another shard writing")
    man = tmp_path / "manifests" / "4krd.csv"
    man.parent.mkdir()
    (man.parent / f"{TMP_PREFIX}4krd.csv.x").write_text("partial")
    assert clean_leftovers([mine], man) == 2
    assert not list(mine.iterdir()) and len(list(other.iterdir())) == 1
