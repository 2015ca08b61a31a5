"""Small test clips made with the ffmpeg binary (imageio-ffmpeg's, else the system one), cached per test session.

Import from any test suite:  `from tests.clipgen import make_clip, bad_inputs` (or `import clipgen` with tests/ on
sys.path). Every function returns a Path inside a per-process cache folder; identical requests reuse the file.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from uhdvd_data.common.ffmpeg_bin import ffmpeg_exe

_CACHE: Path | None = None


def cache_dir() -> Path:
    """Per-session folder for generated clips (removed at exit). UHDVD_CLIPGEN_CACHE pins it for debugging."""
    global _CACHE
    if _CACHE is None:
        env = os.environ.get("UHDVD_CLIPGEN_CACHE")
        if env:
            _CACHE = Path(env)
            _CACHE.mkdir(parents=True, exist_ok=True)
        else:
            _CACHE = Path(tempfile.mkdtemp(prefix="uhdvd-clipgen-"))
            atexit.register(shutil.rmtree, _CACHE, True)
    return _CACHE


def ffmpeg_for_tests() -> str:
    """The ffmpeg that builds test clips: the binary bundled in imageio-ffmpeg (a known recent version with
    -display_rotation, -fps_mode, setparams, libx265) when installed, else whatever ffmpeg_exe() finds."""
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception:  # noqa: BLE001
        return ffmpeg_exe()


def ffmpeg(*args: str) -> None:
    """Run the ffmpeg binary quietly; raise with its stderr on failure."""
    cmd = [ffmpeg_for_tests(), "-y", "-hide_banner", "-loglevel", "error", "-nostdin", *args]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"ffmpeg failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr}")


def _cached(key: dict, suffix: str, build) -> Path:
    name = hashlib.sha1(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16] + suffix
    out = cache_dir() / name
    if not out.exists():
        tmp = out.with_name(".part-" + out.name)
        tmp = tmp.with_suffix(suffix)  # keep the extension: ffmpeg picks the muxer from it
        build(tmp)
        os.replace(tmp, out)
    return out


def make_clip(
    size: tuple[int, int] = (96, 64),
    fps: str = "30",
    frames: int = 8,
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    rotation: int = 0,
    vfr: bool = False,
    audio: bool = False,
    transfer: str | None = None,
    make: str | None = None,
    model: str | None = None,
    android_model: str | None = None,
    source: str = "testsrc2",
    container: str = ".mp4",
    faststart: bool = False,
    extra: tuple[str, ...] = (),
) -> Path:
    """A small synthetic clip.

    size: (width, height) as stored (before display rotation). fps: ffmpeg rate string ("30000/1001").
    rotation: clockwise display rotation in degrees (stored as a display matrix, like a portrait phone clip).
    vfr: jittered timestamps (setpts), written without re-timing. transfer: None, 'hlg' or 'pq' colour tags
    (10-bit BT.2020). make/model: QuickTime device tags; android_model: com.android.model tag.
    """
    key = dict(locals())

    def build(out: Path) -> None:
        w, h = size
        src = f"{source}=size={w}x{h}:rate={fps}"
        args: list[str] = ["-f", "lavfi", "-i", src]
        if audio:
            args += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000"]
        args += ["-frames:v", str(frames), "-map", "0:v"]
        if audio:
            args += ["-map", "1:a", "-c:a", "aac", "-b:a", "32k", "-shortest"]
        filters = []
        if vfr:
            # Fine time base, then phone-like jitter (intervals 1.3, 0.7, 1.0 frames, repeating) and one dropped frame after N=4.
            filters += ["settb=1/90000", f"setpts='(N+0.3*eq(mod(N\\,3)\\,1)+if(gt(N\\,4)\\,1\\,0))/({fps})/TB'"]
        if transfer:
            trc = {"hlg": "arib-std-b67", "pq": "smpte2084"}[transfer]
            filters += [f"setparams=color_trc={trc}:colorspace=bt2020nc:color_primaries=bt2020"]
        if filters:
            args += ["-vf", ",".join(filters)]
        if vfr:
            args += ["-fps_mode", "passthrough", "-enc_time_base", "1/90000"]
        args += ["-c:v", codec, "-pix_fmt", pix_fmt]
        if codec == "libx265":
            args += ["-x265-params", "log-level=error", "-tag:v", "hvc1"]
        meta = []
        if make:
            meta += ["-metadata", f"com.apple.quicktime.make={make}"]
        if model:
            meta += ["-metadata", f"com.apple.quicktime.model={model}"]
        if android_model:
            meta += ["-metadata", f"com.android.model={android_model}"]
        args += meta
        if container in (".mp4", ".mov", ".m4v"):
            flags = "use_metadata_tags" if meta else ""
            if faststart:
                flags += "+faststart"
            if flags:
                args += ["-movflags", flags.lstrip("+")]
        args += list(extra)
        if rotation % 360 == 0:
            ffmpeg(*args, str(out))
            return
        # Encoding would auto-rotate the pixels, so encode upright, then remux with a display matrix.
        # -display_rotation is counter-clockwise; a clockwise display rotation r is -r.
        plain = out.with_name(out.stem + ".plain" + out.suffix)
        ffmpeg(*args, str(plain))
        ffmpeg("-display_rotation", str(-rotation), "-i", str(plain), "-map", "0", "-c", "copy",
               *(["-movflags", "use_metadata_tags"] if meta else []), str(out))
        plain.unlink()

    return _cached(key, container, build)


def scene_cut_clip(size: tuple[int, int] = (96, 64), frames_each: int = 6, fps: str = "30") -> Path:
    """testsrc2 followed by a different source (mandelbrot): a hard scene cut after frames_each frames."""
    key = {"scene_cut": True, "size": size, "frames_each": frames_each, "fps": fps}

    def build(out: Path) -> None:
        w, h = size
        ffmpeg(
            "-f", "lavfi", "-i", f"testsrc2=size={w}x{h}:rate={fps}",
            "-f", "lavfi", "-i", f"mandelbrot=size={w}x{h}:rate={fps}",
            "-filter_complex",
            f"[0:v]trim=end_frame={frames_each},setpts=PTS-STARTPTS[a];"
            f"[1:v]trim=end_frame={frames_each},setpts=PTS-STARTPTS[b];[a][b]concat=n=2:v=1:a=0[v]",
            "-map", "[v]", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(out),
        )

    return _cached(key, ".mp4", build)


def trimmed_clip(frames: int = 30, start_s: float = 0.2) -> Path:
    """A clip cut with stream copy (`-ss ... -c copy`): the file keeps packets before the cut that an edit list
    hides, like clips trimmed on a phone."""

    def build(out: Path) -> None:
        src = make_clip(frames=frames, extra=("-g", "10"))
        ffmpeg("-ss", str(start_s), "-i", str(src), "-c", "copy", str(out))

    return _cached({"trimmed": frames, "start": start_s}, ".mp4", build)


def sparse_avi(frames: int = 12, every: int = 6) -> Path:
    """An AVI whose header counts frame slots at 15 fps but stores only every `every`-th one (timestamps kept),
    like OpenCV's sample tree.avi: complete, just sparse (2.5 fps here)."""

    def build(out: Path) -> None:
        ffmpeg("-f", "lavfi", "-i", "testsrc2=size=96x64:rate=15", "-vf", f"select='not(mod(n\\,{every}))'",
               "-frames:v", str(frames), "-fps_mode", "passthrough", "-c:v", "mpeg4", "-q:v", "3", str(out))

    return _cached({"sparse_avi": frames, "every": every}, ".avi", build)


def resolution_switch_clip() -> Path:
    """An MPEG-TS clip whose resolution changes after 4 frames (two streams joined like `cat a.ts b.ts`)."""

    def build(out: Path) -> None:
        parts = []
        for k, size in enumerate(("96x64", "128x72")):
            part = out.with_name(f"{out.stem}.part{k}.ts")
            ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={size}:rate=30", "-frames:v", "4", "-c:v", "libx264",
                   "-pix_fmt", "yuv420p", str(part))
            parts.append(part)
        out.write_bytes(b"".join(p.read_bytes() for p in parts))
        for p in parts:
            p.unlink()

    return _cached({"resolution_switch": True}, ".ts", build)


def one_frame_clip() -> Path:
    return make_clip(frames=1)


def audio_only_clip() -> Path:
    def build(out: Path) -> None:
        ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000:duration=0.5", "-c:a", "aac", str(out))

    return _cached({"audio_only": True}, ".mp4", build)


def jpeg_as_mp4() -> Path:
    """A JPEG image renamed .mp4."""

    def build(out: Path) -> None:
        jpg = out.with_suffix(".jpg")
        ffmpeg("-f", "lavfi", "-i", "testsrc2=size=96x64:rate=1", "-frames:v", "1", str(jpg))
        os.replace(jpg, out)

    return _cached({"jpeg_as_mp4": True}, ".mp4", build)


def truncated_clip(faststart: bool = False, keep: float = 0.5) -> Path:
    """A clip cut mid-file like `head -c`: without faststart the moov box (at the end) is lost; with faststart
    the index survives but the media data (mdat) is cut."""

    def build(out: Path) -> None:
        full = make_clip(frames=30, faststart=faststart)
        data = full.read_bytes()
        out.write_bytes(data[: int(len(data) * keep)])

    return _cached({"truncated": faststart, "keep": keep}, ".mp4", build)


def empty_file() -> Path:
    return _cached({"empty": True}, ".mp4", lambda out: out.write_bytes(b""))


def gray_clip() -> Path:
    """Monochrome (gray) FFV1 video in MKV: an unsupported pixel format."""
    return make_clip(codec="ffv1", pix_fmt="gray", container=".mkv")


def unknown_codec_clip() -> Path:
    """An MKV whose codec id was overwritten (same length) so no decoder exists for it."""

    def build(out: Path) -> None:
        src = make_clip(container=".mkv")
        data = src.read_bytes()
        old = b"V_MPEG4/ISO/AVC"
        assert old in data, "codec id not found in mkv"
        out.write_bytes(data.replace(old, b"V_XXXXX/ISO/ZZZ", 1))

    return _cached({"unknown_codec": True}, ".mkv", build)


def bad_inputs() -> dict[str, Path]:
    """Every bad-input case by name (paths exist except 'missing')."""
    root = cache_dir()
    empty_dir = root / "empty_folder"
    empty_dir.mkdir(exist_ok=True)
    (empty_dir / "notes.txt").write_text("no videos here\n")
    return {
        "missing": root / "does_not_exist.mp4",
        "empty_folder": empty_dir,
        "zero_byte": empty_file(),
        "truncated": truncated_clip(),
        "truncated_mdat": truncated_clip(faststart=True),
        "jpeg_renamed": jpeg_as_mp4(),
        "audio_only": audio_only_clip(),
        "one_frame": one_frame_clip(),
        "gray_pix_fmt": gray_clip(),
        "unknown_codec": unknown_codec_clip(),
    }
