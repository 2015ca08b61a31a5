"""uhdvd-data: turn ordinary 4K phone footage into blur/sharp training pairs (480 fps interpolation + blur synthesis)."""

__version__ = "0.1.0"
