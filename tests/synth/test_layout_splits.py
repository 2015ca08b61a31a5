"""Window layout, split assignment, shards, realism seeding."""

from __future__ import annotations

import numpy as np
import pytest

from uhdvd_data.common.errors import UserError
from uhdvd_data.synth.realism import add_noise, pair_rng, parse_noise
from uhdvd_data.synth.splits import assign_splits, parse_shard, read_splits, shard_clips
from uhdvd_data.synth.windows import layout


def _clip(n_src, factor, cut_at=None):
    n = (n_src - 1) * factor + 1
    src = [i // factor if i % factor == 0 else None for i in range(n)]
    seg = [int(cut_at is not None and i >= cut_at * factor) for i in range(n)]
    return src, seg


def test_captured_windows_centred_on_source_frames():
    src, seg = _clip(5, 16)
    lay = layout(src, seg, 13)
    assert [(w.start, w.end, w.center, w.src_frame) for w in lay.windows] == [
        (10, 22, 16, 1), (26, 38, 32, 2), (42, 54, 48, 3)]
    assert [w.pair_idx for w in lay.windows] == [0, 1, 2]
    assert lay.skipped_boundary == 2 and lay.skipped_cut == 0


def test_windows_never_cross_a_cut():
    src, seg = _clip(6, 8, cut_at=3)  # frames 0..40, cut at 24
    lay = layout(src, seg, 9)
    for w in lay.windows:
        assert seg[w.start] == seg[w.end]
    # source frame 3 starts segment 1: its window would start in segment 0
    assert [w.src_frame for w in lay.windows] == [1, 2, 4]
    assert lay.skipped_cut == 1 and lay.skipped_boundary == 2


def test_any_center_and_stride():
    src, seg = _clip(3, 8)  # 17 frames
    lay = layout(src, seg, 5, center="any")
    assert [(w.start, w.end) for w in lay.windows] == [(0, 4), (5, 9), (10, 14)]
    assert lay.windows[1].src_frame is None and lay.windows[1].center == 7
    lay = layout(src, seg, 5, center="any", stride=4)
    assert [w.start for w in lay.windows] == [0, 4, 8, 12]
    src, seg = _clip(8, 4)
    assert [w.src_frame for w in layout(src, seg, 3, stride=2).windows] == [2, 4, 6]


@pytest.mark.parametrize("window", [4, 0, -3])
def test_even_window_is_an_error(window):
    with pytest.raises(UserError, match="odd"):
        layout([0, None, None], [0, 0, 0], window)


def test_window_larger_than_clip_gives_no_windows():
    src, seg = _clip(3, 4)
    lay = layout(src, seg, 13)
    assert lay.windows == [] and lay.longest_segment == 9


def test_split_rule():
    ids = [f"clip{i:02d}" for i in range(20)]
    s = assign_splits(ids, 0.9, 0.0, seed=0)
    assert sum(v == "test" for v in s.values()) == 2 and sum(v == "train" for v in s.values()) == 18
    assert s == assign_splits(list(reversed(ids)), 0.9, 0.0, seed=0)  # order independent
    assert s != assign_splits(ids, 0.9, 0.0, seed=1)
    s = assign_splits(ids, 0.9, 0.1, seed=0)
    assert sorted(s.values()).count("val") == 2
    two = assign_splits(["a", "b"], 0.9)
    assert sorted(two.values()) == ["test", "train"]  # at least one held out
    assert assign_splits(["a"], 0.9) == {"a": "train"}
    with pytest.raises(UserError):
        assign_splits(ids, 1.5)


def test_splits_file(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("clip_id,split\na,train\nb,test\n")
    assert read_splits(p, ["a", "b"]) == {"a": "train", "b": "test"}
    with pytest.raises(UserError, match="no split given"):
        read_splits(p, ["a", "c"])
    p.write_text("a,training\n")
    with pytest.raises(UserError, match="unknown split"):
        read_splits(p, ["a"])


def test_shards_partition_clips():
    ids = [f"c{i}" for i in range(7)]
    parts = [shard_clips(ids, (i, 3)) for i in range(3)]
    assert sorted(sum(parts, [])) == sorted(ids)
    assert parse_shard("1/3") == (1, 3)
    for bad in ("3/3", "x", "1/0"):
        with pytest.raises(UserError):
            parse_shard(bad)


def test_noise_is_seeded_per_pair():
    noise = parse_noise("poisson-gaussian:0.001,0.002")
    assert str(noise) == "poisson-gaussian:a=0.001,b=0.002" and parse_noise("a=0.001,b=0.002") == noise
    x = np.full((4, 4, 3), 0.3)
    a = add_noise(x, noise, pair_rng(0, "clip", 5))
    b = add_noise(x, noise, pair_rng(0, "clip", 5))
    c = add_noise(x, noise, pair_rng(0, "clip", 6))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert abs(a.mean() - 0.3) < 0.05
    assert parse_noise("none") is None
    with pytest.raises(UserError):
        parse_noise("gaussian:1,2")


def test_frames_held_across_a_cut_are_never_used():
    # 6 source frames, factor 4; a cut between source 2 and 3: slots 9..11 are held frames (segment -1)
    src = [i // 4 if i % 4 == 0 else None for i in range(21)]
    seg = [0] * 9 + [-1] * 3 + [1] * 9
    for center in ("captured", "any"):
        lay = layout(src, seg, 3, center=center, stride=1)
        assert lay.windows
        for w in lay.windows:
            assert all(seg[i] >= 0 for i in range(w.start, w.end + 1))
    lay = layout(src, seg, 3)
    assert [w.src_frame for w in lay.windows] == [1, 4]
    assert lay.skipped_cut == 2 and lay.skipped_boundary == 2
    assert lay.longest_segment == 9
    assert all(w.start >= 12 or w.end <= 8 for w in layout(src, seg, 3, center="any").windows)


@pytest.mark.parametrize("seed", range(6))
def test_streaming_layout_matches_layout(seed):
    """The fused path decides windows frame by frame; it must pick exactly windows.layout's windows."""
    from uhdvd_data.interp.store import FrameRow
    from uhdvd_data.synth.fused import StreamWindows

    rng = np.random.default_rng(seed)
    factor = int(rng.choice([4, 8, 16]))
    n_src = int(rng.integers(3, 12))
    src = [i // factor if i % factor == 0 else None for i in range((n_src - 1) * factor + 1)]
    seg, cur = [], 0
    for i in range(len(src)):
        if src[i] is not None and i and rng.random() < 0.25:  # a cut before this source frame, held slots before it
            cur += 1
            for j in range(i - factor + 1, i):
                seg[j] = -1
        seg.append(cur)
    for window in (3, 5, 13):
        for center, stride in (("captured", None), ("captured", 2), ("any", None), ("any", 2)):
            want = layout(src, seg, window, center, stride).windows
            sw = StreamWindows(window, center, stride)
            got = [w for i in range(len(src)) if (w := sw.push(FrameRow(i, 0.0, src[i], seg[i]), None))]
            assert got == want, (window, center, stride)
