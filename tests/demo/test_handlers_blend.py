"""The Editing and Harmonization tabs' handler, and the injection-scale slider's range."""

import numpy as np
import pytest

from demo.handlers import blend
from demo.handlers.injection import injection_range
from singan_lite import ImageError

from ..conftest import ASSETS, TINY_IMAGE
from .conftest import stroke_layer

EDITED = ASSETS / "inputs" / "edit_mountains.png"


def test_injection_slider_range(tiny_model):
    top, default = injection_range(tiny_model, "edit")
    assert top == tiny_model.trained_scales - 1 and 1 <= default <= top


@pytest.mark.parametrize("task", ["edit", "harmonize"])
def test_blending_changes_only_the_marked_region(tiny_model, task):
    size = tiny_model.sizes[-1]
    value = blend.editor_value(TINY_IMAGE, size)
    value["layers"] = [stroke_layer(size, (slice(10, 16), slice(15, 22)))]
    (before, after), extras = blend.blend_images(tiny_model, task, value, None, 2, 0)
    assert before.shape == after.shape == (*size, 3)
    soft_mask = extras[1][0][..., 0]
    changed = np.abs(before.astype(int) - after.astype(int)).sum(axis=2) > 0
    assert changed[10:16, 15:22].all()
    assert (soft_mask == 0).any() and not changed[soft_mask == 0].any()


def test_uploaded_mask_works_without_strokes(tiny_model):
    value = blend.editor_value(EDITED, tiny_model.sizes[-1])
    mask = ASSETS / "inputs" / "edit_mountains_mask.png"
    (before, after), _ = blend.blend_images(tiny_model, "edit", value, mask, 2, 0)
    assert not np.array_equal(before, after)


def test_blending_without_a_mask_says_how_to_mark_one(tiny_model):
    value = blend.editor_value(TINY_IMAGE, tiny_model.sizes[-1])
    with pytest.raises(ImageError, match="paint over it with the brush, or upload a mask"):
        blend.blend_images(tiny_model, "edit", value, None, 2, 0)
    with pytest.raises(ValueError, match="unknown task"):
        blend.blend_images(tiny_model, "recolour", value, None, 2, 0)


def test_editor_value_holds_the_composite_at_the_model_size(tiny_model):
    value = blend.editor_value(EDITED, tiny_model.sizes[-1])
    assert value["background"].shape == (*tiny_model.sizes[-1], 4) and value["layers"] == []
    assert (value["background"][..., 3] == 255).all()
