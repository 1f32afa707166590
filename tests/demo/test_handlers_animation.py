"""The Animation tab's handler, called directly on the tiny model."""

import pytest
from PIL import Image

from demo.handlers import animation


def test_animation_writes_a_looping_gif_and_an_mp4(tiny_model, tmp_path):
    gif, downloads = animation.make_animation(tiny_model, 0.9, 1, 1.0, 1.0, 4, 10, 0, tmp_path)
    assert [path.suffix for path in downloads] == [".gif", ".mp4"]
    with Image.open(gif) as frames:
        assert frames.n_frames == 4 and frames.size == tiny_model.sizes[-1][::-1]
    with pytest.raises(ValueError, match="at most"):
        animation.make_animation(tiny_model, 0.9, 0, 1.0, 1.0, 1000, 10, 0, tmp_path)
