"""The Paint-to-image tab's handlers, called directly on the tiny model."""

import pytest

from demo.handlers import paint
from singan_lite import ImageError

from ..conftest import ASSETS

EXAMPLE_PAINTING = ASSETS / "inputs" / "paint_mountains.png"


def test_palette_has_five_brush_colours(tiny_model):
    colours = paint.palette(tiny_model, 1)
    assert len(colours) == 5 and all(len(colour) == 7 and colour.startswith("#") for colour in colours)


def test_canvases_have_the_training_size(tiny_model):
    height, width = tiny_model.sizes[-1]
    for start in paint.CANVAS_STARTS:
        value = paint.canvas(tiny_model, start, EXAMPLE_PAINTING)
        assert value["background"].shape == (height, width, 4)
    assert (paint.canvas(tiny_model, "blank canvas")["background"] == 255).all()
    with pytest.raises(ValueError, match="canvas starts from"):
        paint.canvas(tiny_model, "a photo")


def test_paint_turns_a_painting_into_an_image(tiny_model):
    height, width = tiny_model.sizes[-1]
    # As the editor sends it back untouched: the example painting as background, no composite.
    value = paint.canvas(tiny_model, "example painting", EXAMPLE_PAINTING)
    image = paint.paint_image(tiny_model, value, 1, False, 0)
    assert image.shape == (height, width, 3)
    progress = []
    quantised = paint.paint_image(
        tiny_model, value, 1, True, 0, finetune_iterations=2, progress=lambda done, _text: progress.append(done)
    )
    assert quantised.shape == image.shape and progress[-1] == 1.0


def test_blank_canvas_asks_for_a_painting(tiny_model):
    with pytest.raises(ImageError, match="canvas is blank"):
        paint.paint_image(tiny_model, paint.canvas(tiny_model, "blank canvas"), 1, False, 0)
    with pytest.raises(ImageError, match="paint a painting in the editor first"):
        paint.paint_image(tiny_model, {"background": None, "layers": [], "composite": None}, 1, False, 0)
