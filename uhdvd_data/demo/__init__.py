"""The demo footage job (`uhdvd-data make-demo`, `make demo`): rendered demo clips with exact 480 fps truth.

Rendering itself (photos, camera paths, the demo scene, render_clip) is uhdvd_data.render.
"""

from .make import FACTOR, FPS, clip_name, make_demo

__all__ = ["FACTOR", "FPS", "clip_name", "make_demo"]
