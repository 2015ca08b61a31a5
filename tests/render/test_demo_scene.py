"""DemoScene rendering: the sensor model antialiases, the foreground disc occludes the background."""

from __future__ import annotations

import cv2
import numpy as np

from uhdvd_data.render import POINT, scene_for


def test_sensor_model_antialiases():
    """The frame is smoother than sampling the same scene once per pixel, and agrees with it overall."""
    scene = scene_for("chelsea", (160, 90), 4, 0)
    frame = scene.render_frame(0.05).astype(np.float32)
    scene.sensor = POINT
    aliased = scene.render_frame(0.05).astype(np.float32)
    # high-frequency energy (Laplacian) is lower with the sensor model, but the images agree overall
    lap = lambda x: np.abs(cv2.Laplacian(x.mean(axis=2), cv2.CV_32F)).mean()  # noqa: E731
    assert lap(frame) < lap(aliased)
    assert np.abs(frame - aliased).mean() < 12
    # the foreground disc edge has intermediate (blended) values
    assert len(np.unique(frame)) > 200


def test_foreground_occludes_background():
    scene = scene_for("coffee", (160, 90), 4, 0)
    t = 0.0
    cx, cy = scene.object.centre(t)
    x, y = int(round(cx + 79.5)), int(round(cy + 44.5))
    frame = scene.render_frame(t)
    # compare with the scene without the object: pixels at the object centre change
    bg_only = scene.render_frame(t, with_object=False)
    patch = (slice(max(y - 3, 0), y + 4), slice(max(x - 3, 0), x + 4))
    assert np.abs(frame[patch].astype(int) - bg_only[patch]).mean() > 10
    # the disc is drawn whole and nowhere else (its box on the sensor's fine grid is placed right)
    changed = np.abs(frame.astype(int) - bg_only).max(axis=2) > 0
    yy, xx = np.mgrid[0:90, 0:160]
    dist = np.hypot(xx - (cx + 79.5), yy - (cy + 44.5))
    r = scene.object.radius
    assert changed[dist < r - 2].mean() > 0.95 and not changed[dist > r + 3].any()
