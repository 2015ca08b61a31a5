"""Pixel formats and colour tags: bit depth, which formats we decode, transfer-curve names."""

from __future__ import annotations

# AVColorTransferCharacteristic values -> our names.
_TRC_NAMES = {
    1: "bt709",
    4: "gamma22",
    5: "gamma28",
    6: "bt601",  # smpte170m
    7: "smpte240m",
    8: "linear",
    11: "xvycc",  # iec61966-2-4
    13: "srgb",  # iec61966-2-1
    14: "bt2020",  # bt2020-10 (SDR curve, same as bt709)
    15: "bt2020",  # bt2020-12
    16: "pq",  # smpte2084 (HDR10, Dolby Vision)
    17: "smpte428",
    18: "hlg",  # arib-std-b67
}
HDR_TRANSFERS = ("hlg", "pq")


def transfer_name(trc) -> str:
    """Name of a colour transfer characteristic (int or enum from PyAV); 'unknown' when unspecified."""
    if trc is None:
        return "unknown"
    try:
        value = int(trc)
    except (TypeError, ValueError):
        return "unknown"
    return _TRC_NAMES.get(value, "unknown")


def pix_fmt_info(pix_fmt: str) -> tuple[int, str | None]:
    """(bit depth, reason it is unsupported or None) for a decoder pixel format name."""
    import av

    try:
        fmt = av.VideoFormat(pix_fmt)
    except (ValueError, TypeError):
        return 0, f"unsupported pixel format {pix_fmt}"
    comps = fmt.components
    depth = max((c.bits for c in comps), default=0)
    if fmt.has_palette:
        return depth, f"unsupported pixel format {pix_fmt} (paletted)"
    if fmt.is_bayer or fmt.is_bit_stream:
        return depth, f"unsupported pixel format {pix_fmt} (raw sensor/bitstream)"
    if len(comps) < 3:
        return depth, f"unsupported pixel format {pix_fmt} (monochrome; colour video needed)"
    if not 8 <= depth <= 16:
        return depth, f"unsupported pixel format {pix_fmt} ({depth}-bit)"
    return depth, None


def rgb_format(bit_depth: int) -> str:
    """Decoder output format: rgb24 for 8-bit sources, rgb48le (uint16, full 16-bit scale) for deeper ones."""
    return "rgb24" if bit_depth <= 8 else "rgb48le"
