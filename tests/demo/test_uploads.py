"""Uploads of any size and format, and image-editor values turned into images and masks."""

import numpy as np
import pytest
from PIL import Image

from demo.uploads import editor_background, editor_strokes, flatten, read_image
from singan_lite import ImageError

from .conftest import stroke_layer


def test_huge_upload_is_scaled_down_with_a_notice(tmp_path):
    big = tmp_path / "big.png"
    Image.new("RGB", (900, 300), (10, 200, 30)).save(big)
    notices = []
    image = read_image(big, 300, notices.append, "the image")
    assert image.shape[-2:] == (100, 300)
    assert notices == ["The image is 900×300 px; it was scaled down to 300×100 px."]
    assert read_image(big, 1000, notices.append, "the image").shape[-2:] == (300, 900)
    assert len(notices) == 1


def test_missing_or_corrupt_upload_has_a_readable_error(tmp_path):
    with pytest.raises(ImageError, match="upload the image first"):
        read_image(None, 100, [].append, "the image")
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG not really")
    with pytest.raises(ImageError, match=r"^'broken.png' is not a readable image"):
        read_image(str(broken), 100, [].append, "the image")


def test_editor_values_give_background_and_stroke_mask():
    background = np.zeros((4, 6, 4), dtype=np.uint8)
    background[..., 3] = 255
    layer = stroke_layer((4, 6), (slice(1, 2), slice(2, 4)))
    value = {"background": background, "layers": [layer, np.zeros_like(layer)], "composite": None}
    assert editor_background(value, "x").shape == (4, 6, 3)
    strokes = editor_strokes(value)
    assert strokes.sum() == 2 and strokes[1, 2] and strokes[1, 3]
    assert editor_strokes({"layers": [np.zeros_like(layer)]}) is None
    with pytest.raises(ImageError, match="upload or paste a composite"):
        editor_background({"background": None, "layers": []}, "a composite")


def test_flatten_puts_transparent_pixels_on_white():
    rgba = np.array([[[0, 0, 0, 0], [0, 0, 0, 255], [200, 100, 0, 128]]], dtype=np.uint8)
    assert flatten(rgba).tolist() == [[[255, 255, 255], [0, 0, 0], [227, 177, 127]]]
