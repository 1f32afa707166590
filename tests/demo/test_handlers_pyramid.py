"""The Pyramid explorer's handler, called directly on the tiny model."""

import numpy as np

from demo.handlers import pyramid
from singan_lite import to_uint8


def test_pyramid_explorer_shows_four_aligned_tiles_per_scale(tiny_model):
    tiles = pyramid.explore_pyramid(tiny_model, 0)
    assert len(tiles) == pyramid.COLUMNS * tiny_model.trained_scales
    assert {tile.shape for tile, _ in tiles} == {(*tiny_model.sizes[-1], 3)}
    assert "σ=" in tiles[2][1] and "adds" in tiles[3][1]
    assert np.array_equal(tiles[-4][0], to_uint8(tiny_model.training_image()))
    assert np.array_equal(tiles[-3][0], to_uint8(tiny_model.reconstruct()))
