"""Rendered scenes with exact truth: real photos (scikit-image) under closed-form motion, exposed through one
sensor model, at any time t.

    photos.py      load_photo and who may use which photo (DEMO / TRAIN / HELDOUT_PHOTOS, foreground_photo)
    sensor.py      Sensor: supersampling, Gaussian optics PSF, pixel-area integration (every scene renders through it)
    scene.py       Scene (pan/rotation/zoom + occluder; t in source-frame intervals), make_occluder, random_scene:
                   the interpolation network's training truth
    benchmark.py   benchmark_scenes: the held-out scenes of the interpolation fidelity benchmarks
    oracle.py      OracleMethod: interpolation with a Scene's exact motion (the benchmarks' ceiling), prepare_pair
    camera.py      closed-form hand-held-like camera and object paths (t in seconds)
    demo_scene.py  DemoScene: a photo under such a camera with a moving foreground disc (make-demo's footage)
    clip.py        render_clip: a DemoScene as video-rate frames + high-rate truth arrays

    from uhdvd_data.render import render_clip
    clip = render_clip("motorcycle", (640, 360), n_frames=24, seed=1, motion=(20, 40))   # held-out scene
    clip.frames, clip.truth, clip.camera
"""

from .benchmark import benchmark_scenes
from .clip import RenderedClip, render_clip, scene_for, truth_times
from .demo_scene import DemoScene
from .oracle import OracleMethod, prepare_pair
from .photos import ALL_PHOTOS, DEMO_PHOTOS, HELDOUT_PHOTOS, TRAIN_PHOTOS, foreground_photo, load_photo
from .scene import Scene, make_occluder, random_scene
from .sensor import POINT, SENSOR, Sensor

__all__ = [
    "ALL_PHOTOS",
    "DEMO_PHOTOS",
    "DemoScene",
    "HELDOUT_PHOTOS",
    "OracleMethod",
    "POINT",
    "RenderedClip",
    "SENSOR",
    "Scene",
    "Sensor",
    "TRAIN_PHOTOS",
    "benchmark_scenes",
    "foreground_photo",
    "load_photo",
    "make_occluder",
    "prepare_pair",
    "random_scene",
    "render_clip",
    "scene_for",
    "truth_times",
]
