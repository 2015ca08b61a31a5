"""Canonical safetensors bytes: the same tensors and metadata always give the same file.

`safetensors.torch.save` writes the `__metadata__` map in hash-map order, which changes from one process to the
next, so a weights file written by a resumed run differed from a fresh run's in its header alone. `to_bytes`
re-serialises the header with sorted keys (same length, so the data offsets are unchanged).
"""

from __future__ import annotations

import json
import struct


def canonical(blob: bytes) -> bytes:
    """Rewrite a safetensors blob's JSON header with sorted keys; the tensor data is left as is."""
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    if len(text) > n:  # cannot happen for safetensors' own compact output; keep the original rather than break it
        return blob
    return blob[:8] + text + b" " * (n - len(text)) + blob[8 + n:]


def to_bytes(tensors: dict, metadata: dict[str, str] | None = None) -> bytes:
    """`safetensors.torch.save` with a canonical header."""
    from safetensors.torch import save

    return canonical(save(tensors, metadata=metadata))
