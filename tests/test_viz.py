import base64
import io

import numpy as np
import pytest
import torch
from PIL import Image

from singan_lite import IterationEvent, ScaleEvent
from singan_lite.imaging import to_uint8
from singan_lite.viz import image_grid, loss_curves, png_data_uri

LOSS_KEYS = ("d_real", "d_fake", "gradient_penalty", "g_adversarial", "reconstruction")


def decode(uri: str) -> np.ndarray:
    assert uri.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))))


def iteration_events(per_scale: list[int]) -> list[IterationEvent]:
    """Events as train() reports them, with losses that encode where they came from."""
    events = []
    for scale, count in enumerate(per_scale):
        for iteration in range(1, count + 1):
            losses = {key: scale + iteration / 100 + index / 1000 for index, key in enumerate(LOSS_KEYS)}
            events.append(IterationEvent(scale, len(per_scale), iteration, count, losses))
    return events


def test_png_data_uri_is_lossless():
    image = torch.rand(1, 3, 7, 9) * 2 - 1
    np.testing.assert_array_equal(decode(png_data_uri(image)), to_uint8(image))


def test_image_grid_lays_out_images_of_any_size():
    images = [torch.zeros(1, 3, 10 + 5 * i, 20) for i in range(5)]
    figure = image_grid(images, titles=[f"scale {i}" for i in range(5)], columns=3)
    assert [trace.type for trace in figure.data] == ["image"] * 5
    assert [decode(trace.source).shape for trace in figure.data] == [(10 + 5 * i, 20, 3) for i in range(5)]
    # Row-major placement on a 2 x 3 grid, each cell with square pixels on its own axes.
    assert [trace.xaxis for trace in figure.data] == ["x", "x2", "x3", "x4", "x5"]
    for trace in figure.data:
        assert figure.layout["yaxis" + trace.yaxis[1:]].scaleanchor == trace.xaxis
    assert [annotation.text for annotation in figure.layout.annotations] == [f"scale {i}" for i in range(5)]


def test_image_grid_accepts_a_batch_and_keeps_pixels():
    batch = torch.linspace(-1, 1, 2 * 3 * 4 * 6).reshape(2, 3, 4, 6)
    figure = image_grid(batch)
    assert len(figure.data) == 2
    np.testing.assert_array_equal(decode(figure.data[1].source), to_uint8(batch[1]))


def test_same_scale_gives_every_cell_the_largest_extent():
    figure = image_grid([torch.zeros(1, 3, 8, 12), torch.zeros(1, 3, 30, 40)], same_scale=True)
    for trace in figure.data:
        assert tuple(figure.layout["xaxis" + trace.xaxis[1:]].range) == (-0.5, 39.5)
        assert tuple(figure.layout["yaxis" + trace.yaxis[1:]].range) == (29.5, -0.5)
    assert image_grid([torch.zeros(1, 3, 8, 12)]).layout.xaxis.range is None


def test_image_grid_rejects_bad_arguments():
    with pytest.raises(ValueError, match="at least one image"):
        image_grid([])
    with pytest.raises(ValueError, match="2 titles for 1 images"):
        image_grid([torch.zeros(1, 3, 4, 4)], titles=["a", "b"])


def test_loss_curves_plot_every_loss_over_the_whole_run():
    events = iteration_events([4, 3, 5])
    figure = loss_curves(events)
    assert len(figure.data) == len(LOSS_KEYS)
    for trace in figure.data:
        assert list(trace.x) == list(range(1, 13))
    by_name = {trace.name: trace for trace in figure.data}
    reconstruction = by_name["reconstruction MSE"].y
    assert list(reconstruction) == [event.losses["reconstruction"] for event in events]
    # Critic scores share the first panel; the reconstruction panel is logarithmic.
    assert by_name["critic on real patches"].yaxis == by_name["critic on generated patches"].yaxis == "y"
    assert figure.layout[by_name["reconstruction MSE"].yaxis.replace("y", "yaxis")].type == "log"


def test_loss_curves_thin_long_runs_but_keep_the_last_point():
    events = iteration_events([40, 30, 31])
    figure = loss_curves(events, max_points=20)
    steps = list(figure.data[0].x)
    assert len(steps) <= 21 and steps[0] == 1 and steps[-1] == 101
    reconstruction = next(trace for trace in figure.data if trace.name == "reconstruction MSE")
    assert list(reconstruction.y) == [events[step - 1].losses["reconstruction"] for step in steps]
    labels = [a.text for a in figure.layout.annotations if a.text.startswith("scale")]
    assert labels == ["scale 0", "scale 1", "scale 2"]


def test_loss_curves_mark_each_scale():
    figure = loss_curves(iteration_events([4, 3, 5]))
    labels = [a.text for a in figure.layout.annotations if a.text.startswith("scale")]
    assert labels == ["scale 0", "scale 1", "scale 2"]
    shaded = {(shape.x0, shape.x1) for shape in figure.layout.shapes if shape.opacity > 0}
    assert shaded == {(4.5, 7.5)}


def test_loss_curves_ignore_scale_events_and_need_iterations():
    finished = ScaleEvent(0, 1, torch.zeros(1, 3, 4, 4), torch.zeros(1, 3, 4, 4), torch.zeros(1, 3, 4, 4), 1.0, 0.1)
    events = [*iteration_events([2]), finished]
    assert len(loss_curves(events).data[0].x) == 2
    with pytest.raises(ValueError, match="no iteration events"):
        loss_curves([finished])
