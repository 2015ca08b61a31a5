"""Where the averaging windows go.

`center="captured"` (default): one window per captured source frame (the output frame whose `src_index` is set,
i.e. index i*factor), spanning [c - N//2, c + N//2]; `stride` keeps every stride-th captured frame. The sharp frame
is then always real footage (as REDS does). `center="any"`: windows tile each scene segment from its first frame with
step `stride` (default N: non-overlapping, GoPro style); the sharp frame may be an interpolated one.

A window is never allowed to cross a scene-cut segment boundary or the clip's ends: such windows are skipped and
counted (`skipped_boundary` at the clip start/end, `skipped_cut` at a scene cut). Frames with a negative segment id
(slots held across a cut by the interpolator, see interp.pipeline) belong to no segment: no window may use them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..common.errors import UserError


@dataclass(frozen=True)
class Window:
    pair_idx: int
    start: int  # first interpolated frame index (inclusive)
    end: int  # last interpolated frame index (inclusive)
    center: int
    src_frame: int | None  # captured source frame index at the centre, None when interpolated
    segment: int = 0  # scene segment of the whole window (pairs of different segments are not continuous)


@dataclass
class Layout:
    windows: list[Window] = field(default_factory=list)
    skipped_boundary: int = 0
    skipped_cut: int = 0
    longest_segment: int = 0
    skipped_blur: int = 0  # --blur-px: windows where no allowed size gives a blur length in range

    @property
    def skipped(self) -> int:
        return self.skipped_boundary + self.skipped_cut


def check_window(window: int) -> None:
    if window < 1 or window % 2 == 0:
        raise UserError(f"--window must be an odd number >= 1 (got {window}): the sharp frame is the window's centre")


def parse_window(text: str | int) -> tuple[int | None, int]:
    """`--window N` -> (None, N); `--window A:B` -> (A, B): an odd window drawn per pair from A..B."""
    s = str(text).strip()
    try:
        lo, hi = (int(x) for x in s.split(":")) if ":" in s else (None, int(s))
    except ValueError:
        raise UserError(f"--window must be an odd number or a range A:B of odd numbers (got {s!r})") from None
    check_window(hi)
    if lo is not None:
        check_window(lo)
        if lo > hi:
            raise UserError(f"--window {s}: the range's start is larger than its end")
    return lo, hi


def shrunk(w: Window, size: int) -> Window:
    """`w` shrunk around its centre to `size` (odd) frames."""
    return Window(w.pair_idx, w.center - size // 2, w.center + size // 2, w.center, w.src_frame, w.segment)


def vary(w: Window, lo: int, seed: int, clip_id: str, allowed=None) -> Window | None:
    """`w` (laid out at the largest size) shrunk around its centre to an odd size drawn from lo..its size, seeded by
    (seed, clip, pair): the same in every run, shard, cluster task and in `build`'s stream. `allowed(size)` (--blur-px)
    restricts the draw; None when no size is allowed."""
    import hashlib

    full = w.end - w.start + 1
    sizes = [s for s in range(lo, full + 1, 2) if allowed is None or allowed(s)]
    if not sizes:
        return None
    pick = int.from_bytes(hashlib.sha256(f"{seed}:{clip_id}:{w.pair_idx}".encode()).digest()[:8], "big")
    return shrunk(w, sizes[pick % len(sizes)])


def parse_blur_px(text: str | None) -> tuple[float, float] | None:
    """`--blur-px LO:HI` -> (LO, HI) in pixels (blur_px_p50), checked."""
    if text is None:
        return None
    try:
        lo, hi = (float(x) for x in str(text).split(":"))
    except ValueError:
        raise UserError(f"--blur-px must be LO:HI in pixels, e.g. 4:20 (got {text!r})") from None
    if lo < 0 or hi < lo:
        raise UserError(f"--blur-px {text}: needs 0 <= LO <= HI")
    return lo, hi


def segments_of(seg_ids: Sequence[int]) -> list[tuple[int, int]]:
    """(first, last) index of each run of equal segment ids."""
    out: list[tuple[int, int]] = []
    for i, s in enumerate(seg_ids):
        if out and seg_ids[out[-1][1]] == s:
            out[-1] = (out[-1][0], i)
        else:
            out.append((i, i))
    return out


def layout(
    src_index: Sequence[int | None],
    seg_ids: Sequence[int],
    window: int,
    center: str = "captured",
    stride: int | None = None,
) -> Layout:
    """Windows for one clip given per-frame `src_index` (None for interpolated frames) and segment ids."""
    check_window(window)
    if center not in ("captured", "any"):
        raise UserError(f"--center must be 'captured' or 'any' (got {center!r})")
    if stride is not None and stride < 1:
        raise UserError(f"--stride must be >= 1 (got {stride})")
    n = len(src_index)
    half = window // 2
    segs = segments_of(seg_ids)
    seg_of = [0] * n
    for k, (a, b) in enumerate(segs):
        for i in range(a, b + 1):
            seg_of[i] = k
    out = Layout(longest_segment=max((b - a + 1 for a, b in segs if seg_ids[a] >= 0), default=0))
    if center == "captured":
        step = stride or 1
        captured = [i for i in range(n) if src_index[i] is not None][::step]
        for c in captured:
            a, b = segs[seg_of[c]]
            start, end = c - half, c + half
            if start < 0 or end >= n:
                out.skipped_boundary += 1
            elif start < a or end > b or seg_ids[c] < 0:
                out.skipped_cut += 1
            else:
                out.windows.append(Window(len(out.windows), start, end, c, src_index[c], seg_ids[c]))
    else:
        step = stride or window
        for a, b in segs:
            if seg_ids[a] < 0:
                continue
            for start in range(a, b - window + 2, step):
                c = start + half
                out.windows.append(Window(len(out.windows), start, start + window - 1, c, src_index[c], seg_ids[c]))
    return out


def frame_users(windows: Sequence[Window]) -> dict[int, list[int]]:
    """frame index -> positions (in `windows`) of the windows that average it."""
    users: dict[int, list[int]] = {}
    for k, w in enumerate(windows):
        for i in range(w.start, w.end + 1):
            users.setdefault(i, []).append(k)
    return users
