"""One sensor model: both scene kinds (the interpolation-truth Scene and the DemoScene) are exposed through it."""

from __future__ import annotations

import cv2
import numpy as np

from uhdvd_data.render import POINT, SENSOR, Scene, Sensor, load_photo, scene_for
from uhdvd_data.render.camera import CameraPath, Wave
from uhdvd_model.eval.metrics import psnr


def test_fine_grid_and_integration_agree():
    """Exposing the output x coordinate (a linear ramp) gives each pixel its own coordinate: the fine grid is
    centred on the output pixels and integration preserves it; a constant stays constant."""
    size = (12, 20)
    for sensor in (SENSOR, Sensor(3, 0.7), POINT):
        ramp = sensor.expose(lambda grid, wh: (grid @ np.stack(
            [*np.meshgrid(np.arange(wh[0]), np.arange(wh[1])), np.ones(wh[::-1])], 0).reshape(3, -1))[0]
            .reshape(wh[::-1]).astype(np.float32), size)
        want = np.broadcast_to(np.arange(size[1], dtype=np.float32), size)
        np.testing.assert_allclose(ramp[:, 3:-3], want[:, 3:-3], atol=1e-3)
        flat = sensor.expose(lambda grid, wh: np.full((wh[1], wh[0], 3), 0.25, np.float32), size)
        assert flat.shape == (*size, 3)
        np.testing.assert_allclose(flat, 0.25, atol=1e-6)


def _still_demo_scene(sensor: Sensor = SENSOR):
    """A DemoScene whose camera stands still (no pan, rotation or zoom)."""
    demo = scene_for("astronaut", (96, 64), 4, 0)
    demo.camera = CameraPath([], Wave(0.0, 0.0, 0.0, 0.0), Wave(1.0, 0.0, 0.0, 0.0))
    demo.sensor = sensor
    return demo


def _same_view_scene(demo) -> Scene:
    """The interpolation-truth Scene of the demo scene's background view at t = 0."""
    w, h = demo.size
    ph, pw = demo.bg.shape[:2]
    k = 1.0 / demo.photo_scale
    centre = ((pw - 1) / 2 - k * demo.world_centre[0], (ph - 1) / 2 - k * demo.world_centre[1])
    sc = Scene(load_photo(demo.photo), None, (h, w), centre, (0.0, 0.0), 0.0, 0.0, k, 0.0)
    np.testing.assert_allclose(sc.camera_matrix(0.0), demo.background_matrix(0.0), atol=1e-9)
    return sc


def test_both_scene_kinds_render_one_view_alike():
    """The same view of the same photo comes out the same from both renderers: one sensor model (with another
    sensor the demo scene's frame is far off)."""
    demo = _still_demo_scene()
    sc = _same_view_scene(demo)
    interp = np.clip(np.rint(sc.render(0.0) * 255), 0, 255)
    got = demo.render_frame(0.0, with_object=False)
    assert np.abs(got - interp).max() <= 1
    other = _still_demo_scene(Sensor(2, 0.0)).render_frame(0.0, with_object=False)
    assert psnr(other, interp.astype(np.uint8)) < 40


def _half_pixel_shift_psnr(sensor: Sensor) -> float:
    """PSNR between the still demo scene's frame after a (0.5, 0.25) px camera move and its frame before, moved
    by that much (border cut)."""
    demo = _still_demo_scene(sensor)
    f0 = demo.render_frame(0.0, with_object=False)
    d = np.array([0.5, 0.25])
    demo.world_centre = demo.world_centre + d  # world units are output px here: frame1(q) = frame0(q - d)
    f1 = demo.render_frame(0.0, with_object=False)
    moved = cv2.warpAffine(f0.astype(np.float32), np.float32([[1, 0, -d[0]], [0, 1, -d[1]]]), f0.shape[1::-1],
                           flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT101)
    return psnr(np.clip(np.rint(moved), 0, 255).astype(np.uint8)[6:-6, 6:-6], f1[6:-6, 6:-6])


def test_demo_scene_half_pixel_move_is_a_half_pixel_shift():
    """Like the Scene (test_scene.py): moving the demo camera by half a pixel shifts its frame by half a pixel,
    which point sampling does not."""
    sensor, sampled = _half_pixel_shift_psnr(SENSOR), _half_pixel_shift_psnr(POINT)
    print(f"sensor model {sensor:.1f} dB, point sampling {sampled:.1f} dB")
    assert sensor > 40.0, sensor
    assert sensor > sampled + 3.0, (sensor, sampled)
