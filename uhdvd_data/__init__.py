"""uhdvd-data: turn ordinary 4K phone footage into blur/sharp training pairs (480 fps interpolation + blur synthesis)."""

import os as _os

# OpenMP threads that spin while waiting made small torch/OpenCV operations 5-10x slower on shared CPUs; passive
# waiting costs nothing on an idle machine. Set before torch is imported (all console scripts import this first).
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
