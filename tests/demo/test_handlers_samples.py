"""The Samples tab's handler, called directly on the tiny model."""

import numpy as np
import pytest

from demo.handlers import samples
from singan_lite import to_uint8


def test_samples_are_repeatable_and_take_the_requested_size(tiny_model):
    height, width = tiny_model.sizes[-1]
    first = samples.generate_samples(tiny_model, 3, 0, 1.0, 1.0, 7)
    again = samples.generate_samples(tiny_model, 3, 0, 1.0, 1.0, 7)
    assert len(first) == 3 and first[0][0].shape == (height, width, 3)
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[0][0], first[1][0])
    assert first[0][1].startswith("seed 7 · #1")
    wide = samples.generate_samples(tiny_model, 1, 1, 2.0, 1.0, 7)
    assert wide[0][0].shape == (height, 2 * width, 3)
    with pytest.raises(ValueError, match="number of samples"):
        samples.generate_samples(tiny_model, 0, 0, 1.0, 1.0, 7)


def test_sample_handler_gives_the_library_pixels(tiny_model):
    """The gallery shows exactly what the library draws for the same seed (uint8, no lossy step)."""
    image = samples.generate_samples(tiny_model, 1, 0, 1.0, 1.0, 5)[0][0]
    assert np.array_equal(image, to_uint8(tiny_model.sample(1, seed=5)))
