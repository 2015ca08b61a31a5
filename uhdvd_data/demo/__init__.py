"""Demo footage with exact ground truth: real photos (skimage.data) seen through a smooth hand-held-like camera
with an independently moving foreground disc, rendered in continuous time with 2x supersampling.

    from uhdvd_data.demo import render_clip, DEMO_PHOTOS, HELDOUT_PHOTOS
    clip = render_clip("motorcycle", (640, 360), n_frames=24, seed=1, motion=(20, 40))   # held-out scene
    clip.frames, clip.truth, clip.camera
"""

from .make import FACTOR, FPS, clip_name, make_demo
from .photos import ALL_PHOTOS, DEMO_PHOTOS, HELDOUT_PHOTOS, load_photo
from .render import RenderedClip, render_clip, scene_for, truth_times
from .scene import SUPERSAMPLE, DemoScene

__all__ = [
    "ALL_PHOTOS",
    "DEMO_PHOTOS",
    "DemoScene",
    "FACTOR",
    "FPS",
    "HELDOUT_PHOTOS",
    "RenderedClip",
    "SUPERSAMPLE",
    "clip_name",
    "load_photo",
    "make_demo",
    "render_clip",
    "scene_for",
    "truth_times",
]
