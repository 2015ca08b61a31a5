"""Transfer curves (code value <-> linear light) used to average frames in linear light.

All curves work on normalised values in [0, 1]. `Codec` binds a curve to an integer image dtype (uint8 / uint16):
`Codec.to_linear(frame)` is a table lookup (exact: the table holds the curve at every code value) and
`Codec.encode(linear)` returns round-half-up(maxv * from_linear(linear)) computed exactly by comparing against the
curve's values at the half-code thresholds (no pow per pixel; a fine lookup table gives the first guess).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..common.errors import UserError, file_error

CRF_NAMES = ("srgb", "gamma2.2", "bt709", "linear", "hlg", "pq")
CRF_AUTO = "auto"  # per clip: the curve the clips' recorded transfer names (hlg, pq), else srgb
LUT_SIZES = (256, 1024)


# ---- analytic curves (numpy float64 in, float64 out) ----

def srgb_to_linear(c: np.ndarray) -> np.ndarray:
    """IEC 61966-2-1 sRGB EOTF (piecewise: linear toe below 0.04045, 2.4 power above)."""
    c = np.asarray(c, dtype=np.float64)
    return np.where(c <= 0.04045, c / 12.92, np.power((np.maximum(c, 0.04045) + 0.055) / 1.055, 2.4))


def srgb_from_linear(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(np.maximum(x, 0.0031308), 1 / 2.4) - 0.055)


def gamma22_to_linear(c: np.ndarray) -> np.ndarray:
    return np.power(np.maximum(np.asarray(c, dtype=np.float64), 0.0), 2.2)


def gamma22_from_linear(x: np.ndarray) -> np.ndarray:
    return np.power(np.maximum(np.asarray(x, dtype=np.float64), 0.0), 1 / 2.2)


# ITU-R BT.709 OETF: V = 4.5 L (L < beta), alpha L^0.45 - (alpha - 1) otherwise (nominally 1.099 / 0.018; the
# precise constants below make the two pieces meet continuously); we linearise with its inverse.
_A709, _B709 = 1.09929682680944, 0.018053968510807


def bt709_to_linear(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    knee = 4.5 * _B709
    return np.where(v < knee, v / 4.5, np.power((np.maximum(v, knee) + (_A709 - 1)) / _A709, 1 / 0.45))


def bt709_from_linear(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return np.where(x < _B709, 4.5 * x, _A709 * np.power(np.maximum(x, _B709), 0.45) - (_A709 - 1))


# ITU-R BT.2100 HLG: E' = sqrt(3 E) for E <= 1/12, a ln(12 E - b) + c above (scene light E in [0, 1]); we average
# in scene light, the inverse OETF (HLG is scene-referred: a motion-blurred exposure is a mean of scene light).
_HLG_A = 0.17883277
_HLG_B = 1 - 4 * _HLG_A
_HLG_C = 0.5 - _HLG_A * np.log(4 * _HLG_A)


def hlg_to_linear(v: np.ndarray) -> np.ndarray:
    v = np.clip(np.asarray(v, dtype=np.float64), 0.0, 1.0)
    return np.where(v <= 0.5, v * v / 3.0, (np.exp((np.maximum(v, 0.5) - _HLG_C) / _HLG_A) + _HLG_B) / 12.0)


def hlg_from_linear(x: np.ndarray) -> np.ndarray:
    x = np.clip(np.asarray(x, dtype=np.float64), 0.0, 1.0)
    return np.where(x <= 1 / 12, np.sqrt(3.0 * x), _HLG_A * np.log(np.maximum(12.0 * x - _HLG_B, 1e-12)) + _HLG_C)


# SMPTE ST 2084 (PQ): display light Y in [0, 1] of 10000 cd/m2; display-referred, so we average display light.
_PQ_M1, _PQ_M2 = 2610 / 16384, 2523 / 4096 * 128
_PQ_C1, _PQ_C2, _PQ_C3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32


def pq_to_linear(v: np.ndarray) -> np.ndarray:
    p = np.power(np.clip(np.asarray(v, dtype=np.float64), 0.0, 1.0), 1 / _PQ_M2)
    return np.power(np.maximum(p - _PQ_C1, 0.0) / (_PQ_C2 - _PQ_C3 * p), 1 / _PQ_M1)


def pq_from_linear(x: np.ndarray) -> np.ndarray:
    y = np.power(np.clip(np.asarray(x, dtype=np.float64), 0.0, 1.0), _PQ_M1)
    return np.power((_PQ_C1 + _PQ_C2 * y) / (1 + _PQ_C3 * y), _PQ_M2)


def auto_crf(transfer: str | None) -> str:
    """The curve `--crf auto` picks for one clip from its recorded transfer ('hlg', 'pq', 'bt709', ...): hlg or pq
    for clips coded so (phones record HLG), srgb for the rest (SDR, as before). Each clip gets its own; the manifest's
    crf column says which."""
    from ..video.colour import HDR_TRANSFERS  # ('hlg', 'pq'): each is also the name of its curve here

    return transfer if transfer in HDR_TRANSFERS else "srgb"


def _identity(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


@dataclass
class Transfer:
    """A monotone curve pair; `name` is what the manifest records ('srgb', ..., or 'lut:<sha256[:12]>')."""

    name: str
    to_linear: Callable[[np.ndarray], np.ndarray]
    from_linear: Callable[[np.ndarray], np.ndarray]
    lut: np.ndarray | None = field(default=None, repr=False)
    lut_sha256: str | None = None


def transfer(name: str) -> Transfer:
    curves = {
        "srgb": (srgb_to_linear, srgb_from_linear),
        "gamma2.2": (gamma22_to_linear, gamma22_from_linear),
        "bt709": (bt709_to_linear, bt709_from_linear),
        "linear": (_identity, _identity),
        "hlg": (hlg_to_linear, hlg_from_linear),
        "pq": (pq_to_linear, pq_from_linear),
    }
    if name not in curves:
        raise UserError(f"unknown CRF {name!r} (choose from {CRF_AUTO}, {', '.join(CRF_NAMES)}, or give --crf-lut FILE)")
    return Transfer(name, *curves[name])


def validate_lut(table: np.ndarray, source: os.PathLike | str = "LUT") -> np.ndarray:
    """A camera response table: 256 or 1024 finite, strictly increasing values (code -> linear); normalised to end at 1."""
    table = np.asarray(table, dtype=np.float64).ravel()
    if table.size not in LUT_SIZES:
        raise file_error(source, f"CRF table has {table.size} entries (need {' or '.join(map(str, LUT_SIZES))})")
    if not np.all(np.isfinite(table)):
        raise file_error(source, "CRF table has non-finite values (nan/inf)")
    if not np.all(np.diff(table) > 0):
        raise file_error(source, "CRF table is not strictly increasing (a response curve must be monotone)")
    if table[0] < 0:
        raise file_error(source, "CRF table has negative values")
    return (table - table[0]) / (table[-1] - table[0])


def lut_transfer(table: np.ndarray, sha256: str | None = None) -> Transfer:
    """Transfer from a validated table; values between table entries are linearly interpolated."""
    grid = np.linspace(0.0, 1.0, table.size)

    def to_lin(c: np.ndarray) -> np.ndarray:
        return np.interp(np.asarray(c, dtype=np.float64), grid, table)

    def from_lin(x: np.ndarray) -> np.ndarray:
        return np.interp(np.asarray(x, dtype=np.float64), table, grid)

    name = f"lut:{sha256[:12]}" if sha256 else "lut"
    return Transfer(name, to_lin, from_lin, lut=table, lut_sha256=sha256)


def load_lut(path: os.PathLike | str) -> Transfer:
    """Read a table file: .npy, or text with numbers separated by commas/whitespace/newlines ('#' comments).

    A text file with two columns per line (code, value) uses the last column.
    """
    from ..common.hashing import sha256_file

    path = Path(path)
    if not path.is_file():
        raise file_error(path, "no such CRF table file")
    try:
        if path.suffix.lower() == ".npy":
            table = np.load(path, allow_pickle=False)
        else:
            rows = []
            for line in path.read_text().splitlines():
                line = line.split("#", 1)[0].replace(",", " ").split()
                if line:
                    rows.append([float(v) for v in line])
            if rows and all(len(r) == 2 for r in rows):
                table = np.array([r[1] for r in rows])
            else:
                table = np.array([v for r in rows for v in r])
    except (ValueError, OSError) as e:
        raise file_error(path, f"not a readable CRF table ({e})") from e
    return lut_transfer(validate_lut(table, path), sha256_file(path))


def get_transfer(crf: str = "srgb", lut_path: os.PathLike | str | None = None) -> Transfer:
    return load_lut(lut_path) if lut_path else transfer(crf)


class Codec:
    """A transfer curve bound to an integer dtype: exact code<->linear conversions for whole frames.

    encode(): a 2^16-cell (8-bit) / 2^20-cell (16-bit) table over [0, 1] gives each pixel's code with one lookup; cells that contain a rounding
    threshold (or touch one) carry a flag, and only those pixels are settled by comparing against the exact
    thresholds, so the result equals round-half-up(maxv * from_linear(x)) up to the float64 threshold values.
    """

    FINE_BITS = 20
    _FLAG = 1 << 30
    _cache: dict = {}

    def __new__(cls, tf: Transfer, dtype):
        key = (tf.name, tf.lut_sha256, np.dtype(dtype).str)
        hit = cls._cache.get(key)
        if hit is not None and hit.tf.to_linear is tf.to_linear:
            return hit
        obj = super().__new__(cls)
        obj._init(tf, dtype)
        cls._cache[key] = obj
        return obj

    def _init(self, tf: Transfer, dtype) -> None:
        self.tf = tf
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.dtype(np.uint8), np.dtype(np.uint16)):
            raise UserError(f"unsupported frame dtype {self.dtype} (need 8- or 16-bit frames)")
        self.maxv = int(np.iinfo(self.dtype).max)
        # 8-bit: float32 sums of a few dozen values stay far within one output level (+-1 LSB only at exact ties),
        # and halve the memory traffic; 16-bit: float64.
        self.acc_dtype = np.dtype(np.float32 if self.dtype == np.uint8 else np.float64)
        codes = np.arange(self.maxv + 1, dtype=np.float64) / self.maxv
        self.table = tf.to_linear(codes).astype(self.acc_dtype)  # code -> linear
        # thr[k] = linear value where the output switches from code k to k+1 (at code k + 0.5)
        self.thr = tf.to_linear((np.arange(self.maxv, dtype=np.float64) + 0.5) / self.maxv)
        self._thr_ext = np.concatenate([[-np.inf], self.thr, [np.inf]])  # _thr_ext[c] = lower edge of code c
        k = 1 << (16 if self.dtype == np.uint8 else self.FINE_BITS)  # 8-bit: a cache-sized table
        self._k = k
        grid = np.arange(k + 2, dtype=np.float64) / k
        at = np.searchsorted(self.thr, grid, side="right").astype(np.int32)  # exact code at each cell edge
        ambiguous = np.zeros(k + 1, dtype=bool)
        ambiguous |= at[:-1] != at[1:]  # a threshold inside (j/K, (j+1)/K]
        ambiguous[1:] |= at[:-2] != at[1:-1]  # or just below j/K (guards float rounding of x*K)
        self._fine = at[:-1] | np.where(ambiguous, self._FLAG, 0).astype(np.int32)

    def to_linear(self, frame: np.ndarray) -> np.ndarray:
        """Code values -> linear light in `acc_dtype` (table lookup)."""
        if frame.dtype != self.dtype:
            raise UserError(f"frame dtype {frame.dtype} does not match the clip's {self.dtype}")
        if self.dtype == np.uint8:
            import cv2

            return cv2.LUT(frame, self.table)
        return self.table[frame]

    def encode(self, linear: np.ndarray) -> np.ndarray:
        """Linear light -> code values: round-half-up of maxv * from_linear(linear), clipped to the code range."""
        lin = np.asarray(linear)
        if lin.dtype not in (np.float32, np.float64):
            lin = lin.astype(np.float64)
        idx = np.multiply(lin, lin.dtype.type(self._k))
        np.clip(idx, 0, self._k, out=idx)  # (linear light is never negative; clip guards odd inputs)
        g = self._fine[idx.astype(np.int32)]
        flat_g = g.reshape(-1)
        sel = np.flatnonzero(flat_g & self._FLAG)
        if sel.size:
            # settle against the exact thresholds: code c is right when thr[c-1] <= x < thr[c] (a binary search: a
            # cell of a steep curve's dark end, HLG or PQ at 16 bit, can hold hundreds of thresholds)
            x = lin.reshape(-1)[sel]
            code = flat_g[sel] & ~self._FLAG  # the code at the cell's lower edge: right for most pixels
            off = np.flatnonzero((x < self._thr_ext[code]) | (x >= self._thr_ext[code + 1]))
            code[off] = np.searchsorted(self.thr, x[off], side="right")
            flat_g[sel] = code
        return g.astype(self.dtype)


def reference_blur(frames: list[np.ndarray], tf: Transfer) -> np.ndarray:
    """Slow, direct formula (for tests): round_half_up(maxv * from_linear(mean(to_linear(c / maxv))))."""
    maxv = float(np.iinfo(frames[0].dtype).max)
    lin = np.mean([tf.to_linear(f.astype(np.float64) / maxv) for f in frames], axis=0)
    return np.clip(np.floor(tf.from_linear(lin) * maxv + 0.5), 0, maxv).astype(frames[0].dtype)
