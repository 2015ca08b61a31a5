"""Manifest validation and clip sampling."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch
from trainkit import make_manifest

from uhdvd_data.common.errors import UserError
from uhdvd_model.data.clips import ClipDataset, to_unit
from uhdvd_model.data.loader import ClipSampler
from uhdvd_model.data.manifest import choose_validation, read_manifest


def _rewrite(man, edit):
    rows = list(csv.DictReader(open(man)))
    fields = list(rows[0])
    rows, fields = edit(rows, fields)
    with open(man, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


def test_reads_clips_relative_to_manifest(tmp_path):
    man = make_manifest(tmp_path)
    clips = read_manifest(man)
    assert [(c.clip_id, c.split, len(c)) for c in clips] == [("a", "train", 6), ("b", "train", 6), ("c", "test", 4)]
    assert clips[0].blur[0].is_file()


def test_missing_column_is_named(tmp_path):
    man = make_manifest(tmp_path)
    _rewrite(man, lambda r, f: (r, [c for c in f if c != "sharp_path"]))
    with pytest.raises(UserError, match="missing column 'sharp_path'"):
        read_manifest(man)


def test_missing_file_names_row_and_column(tmp_path):
    man = make_manifest(tmp_path)
    (tmp_path / "dataset/train/b/sharp/000002.png").unlink()
    with pytest.raises(UserError, match=r"row 9, column 'sharp_path': file not found"):
        read_manifest(man)


@pytest.mark.parametrize("row, column, value, message", [
    (3, "split", "training", r"row 4, column 'split': 'training' is not one of"),
    (1, "pair_idx", "0", r"row 2, column 'pair_idx': pair 0 of clip 'a' is also in row 1"),
])
def test_bad_cell_names_row_and_column(tmp_path, row, column, value, message):
    man = make_manifest(tmp_path)

    def edit(rows, fields):
        rows[row][column] = value
        return rows, fields

    _rewrite(man, edit)
    with pytest.raises(UserError, match=message):
        read_manifest(man)


def test_gap_splits_clip_and_validation_fallback(tmp_path):
    man = make_manifest(tmp_path, clips=(("a", "train", 6), ("b", "train", 4), ("c", "train", 4)))

    def edit(rows, fields):
        return [r for r in rows if not (r["clip_id"] == "a" and r["pair_idx"] == "3")], fields

    _rewrite(man, edit)
    clips = read_manifest(man)
    assert [(c.name, len(c)) for c in clips] == [("a", 3), ("a@4", 2), ("b", 4), ("c", 4)]
    train, val, where = choose_validation(clips, 0.3, seed=0)
    assert val and "held-out" in where and not {c.clip_id for c in val} & {c.clip_id for c in train}
    man2 = make_manifest(tmp_path / "x")  # a, b train; c test
    train, val, where = choose_validation(read_manifest(man2))
    assert len(val) == 1 and val[0].clip_id in ("a", "b") and "held-out" in where  # never the test clip
    assert "c" not in {c.clip_id for c in train + val}


def test_validation_uses_val_split_and_never_test(tmp_path):
    man = make_manifest(tmp_path, clips=(("a", "train", 4), ("v", "val", 3), ("t", "test", 3)))
    train, val, where = choose_validation(read_manifest(man), fraction=0.5)
    assert [c.clip_id for c in train] == ["a"] and [c.clip_id for c in val] == ["v"] and "'val' split" in where
    man = make_manifest(tmp_path / "one", clips=(("a", "train", 4), ("t", "test", 3)))
    train, val, where = choose_validation(read_manifest(man))
    assert val == [] and "never used" in where


def test_several_manifests_prefix_clip_ids_and_validate_per_source(tmp_path):
    from uhdvd_model.data.manifest import read_manifests, split_table

    m1 = make_manifest(tmp_path / "g", clips=(("a", "train", 4), ("b", "train", 4), ("t", "test", 3)),
                       name="manifests/gopro.csv")
    m2 = make_manifest(tmp_path / "m", clips=(("a", "train", 4), ("v", "val", 3)), name="manifests/mine.csv")
    clips = read_manifests([m1, m2])
    assert {c.clip_id for c in clips} == {"gopro/a", "gopro/b", "gopro/t", "mine/a", "mine/v"}
    train, val, where = choose_validation(clips, fraction=0.5, seed=0)
    assert {c.source for c in val} == {"gopro", "mine"} and "mine/v" in {c.clip_id for c in val}
    assert not any(c.split == "test" for c in train + val)
    table = split_table(clips)
    assert set(zip(table["source"], table["split"])) == {("gopro", "train"), ("gopro", "test"), ("mine", "train"),
                                                          ("mine", "val")}
    with pytest.raises(UserError, match="both named 'gopro'"):
        read_manifests([m1, m1])


def test_clip_crop_and_augmentation_consistent(tmp_path):
    man = make_manifest(tmp_path, h=64, w=96)
    clips = [c for c in read_manifest(man) if c.split == "train"]
    ds = ClipDataset(clips, clip_len=3, crop=32, seed=5)
    assert len(ds) == 2 * 4
    from uhdvd_data.common.images import read_image

    seen = set()
    for idx in range(len(ds)):
        blur, sharp = ds[(1, idx)]
        assert blur.shape == sharp.shape == (3, 3, 32, 32)
        p = ds.params(1, idx, 64, 96)
        seen.add((p["hflip"], p["vflip"], p["rot"]))
        clip, start = ds.windows[idx]
        for t in range(3):  # every frame of the window: same crop and transform
            ref = to_unit(read_image(clip.sharp[start + t]))[p["y"]:p["y"] + 32, p["x"]:p["x"] + 32]
            if p["hflip"]:
                ref = ref[:, ::-1]
            if p["vflip"]:
                ref = ref[::-1]
            ref = np.rot90(ref, p["rot"])
            assert torch.equal(sharp[t], torch.from_numpy(np.ascontiguousarray(ref)).permute(2, 0, 1))
    assert len(seen) > 1
    # deterministic from (seed, epoch, index); different epochs differ
    assert torch.equal(ds[(1, 3)][0], ds[(1, 3)][0])
    assert not torch.equal(ds[(1, 3)][0], ds[(2, 3)][0]) or ds.params(1, 3, 64, 96) == ds.params(2, 3, 64, 96)


def test_small_frames_are_padded_and_16bit_scaled(tmp_path):
    man = make_manifest(tmp_path, h=48, w=40, bit16=True)
    clips = [c for c in read_manifest(man) if c.split == "train"]
    ds = ClipDataset(clips, clip_len=2, crop=64, seed=0, augment=False)
    blur, sharp = ds[0]
    assert blur.shape == (2, 3, 64, 64)
    assert sharp.min() >= -0.5 and sharp.max() <= 0.5
    assert torch.equal(sharp[0, :, 47, :40], sharp[0, :, 63, :40])  # replicate padding at the bottom
    with pytest.raises(UserError, match="smaller --clip-len"):
        ClipDataset(clips, clip_len=50, crop=64)


def test_sampler_resumes_mid_epoch_and_shards():
    full = list(ClipSampler(10, seed=1, epoch=2))
    assert sorted(i for _, i in full) == list(range(10)) and all(e == 2 for e, _ in full)
    assert list(ClipSampler(10, seed=1, epoch=2, skip=4)) == full[4:]
    r0 = list(ClipSampler(10, seed=1, rank=0, world_size=2))
    r1 = list(ClipSampler(10, seed=1, rank=1, world_size=2))
    assert len(r0) == len(r1) == 5 and not {i for _, i in r0} & {i for _, i in r1}
