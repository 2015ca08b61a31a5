"""Model zoo: ``build_model(name, **kwargs)``; names in ``ARCH_NAMES``."""

from __future__ import annotations

from torch import nn

ARCH_NAMES = ("uhdvd", "uhdvd_official", "dmphn")


def build_model(name: str = "uhdvd", **kwargs) -> nn.Module:
    """Build a randomly initialised model. ``uhdvd`` (paper, default), ``uhdvd_official`` (released code's
    behaviour, loads the authors' 4KRD weights), ``dmphn`` (DMPHN 1-2-4-8 baseline).

    kwargs: ``spaa`` ("auto" | "serial" | "batch" | "grouped") for all; ``attention`` (bool) for the UHDVD
    variants; ``decoder_blocks`` (residual blocks per decoder stage, 3 = paper, default; 2 = released layout) and
    ``global_residual`` (bool) for ``uhdvd``; ``tile_rows`` (None = automatic, 0 = untiled) for ``uhdvd_official``.
    The model records ``arch_name`` and ``arch_kwargs`` so that weights files can rebuild it.
    """
    if name == "uhdvd":
        from .uhdvd import UHDVD as cls
    elif name == "uhdvd_official":
        from .official import UHDVDOfficial as cls
    elif name == "dmphn":
        from .dmphn import DMPHN as cls
    else:
        raise ValueError(f"unknown architecture {name!r} (choose from {', '.join(ARCH_NAMES)})")
    model = cls(**kwargs)
    model.arch_name = name
    model.arch_kwargs = dict(kwargs)
    return model


__all__ = ["ARCH_NAMES", "build_model"]
