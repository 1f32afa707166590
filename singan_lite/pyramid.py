"""The image pyramid, with the reference release's arithmetic so scale sizes match the paper's.

Scale 0 is the coarsest. Every scale is resized directly from the finest image
(never scale from scale), so resampling errors do not pile up down the pyramid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .imaging import ImageError, resize
from .networks import PADDING

# Products of floats such as 186 * (25 / 186) land a hair above an integer; ceil must not
# turn that hair into a whole extra pixel.
_CEIL_TOLERANCE = 1e-6
# The critic judges 11x11 patches with valid convolutions: a smaller scale has none to judge.
SMALLEST_SCALE = 2 * PADDING + 1


def _ceil(value: float) -> int:
    return math.ceil(value - _CEIL_TOLERANCE)


@dataclass(frozen=True)
class PyramidPlan:
    """Scale sizes (coarsest first) and the refitted scale factor (< 1) between scales."""

    scale_factor: float
    sizes: list[tuple[int, int]]

    @property
    def num_scales(self) -> int:
        return len(self.sizes)


def plan_pyramid(
    height: int,
    width: int,
    min_size: int = 25,
    max_size: int = 250,
    scale_factor: float = 0.75,
    refit: bool = True,
) -> PyramidPlan:
    """Scale sizes for an image of height x width.

    `refit=True` adjusts the factor so the coarsest scale's short side is exactly
    `min_size` (random generation); super-resolution keeps the factor it was given.
    """
    if min_size < SMALLEST_SCALE:
        raise ValueError(f"min_size must be at least {SMALLEST_SCALE} px, the critic's patch (got {min_size}).")
    if not 0 < scale_factor < 1:
        raise ValueError(f"scale_factor must be between 0 and 1 (got {scale_factor}).")
    if min(height, width) < min_size:
        raise ImageError(
            f"the image is {height}x{width} pixels, smaller than the coarsest scale "
            f"({min_size} px on the short side); use a larger image or a smaller min_size."
        )
    short, long = min(height, width), max(height, width)
    num_scales = math.ceil(math.log(min_size / short) / math.log(scale_factor)) + 1
    scale_to_stop = math.ceil(math.log(min(max_size, long) / long) / math.log(scale_factor))
    stop_scale = num_scales - scale_to_stop
    shrink = min(max_size / long, 1.0)
    finest = (_ceil(height * shrink), _ceil(width * shrink))
    if min(finest) < min_size:
        raise ImageError(
            f"the image is too elongated: at {finest[0]}x{finest[1]} (long side {max_size}) its "
            f"short side is under {min_size} px; crop it closer to a square or raise max_size."
        )
    if refit and stop_scale > 0:
        scale_factor = (min_size / min(finest)) ** (1 / stop_scale)
    sizes = [
        (
            _ceil(finest[0] * scale_factor ** (stop_scale - scale)),
            _ceil(finest[1] * scale_factor ** (stop_scale - scale)),
        )
        for scale in range(stop_scale + 1)
    ]
    return PyramidPlan(scale_factor=scale_factor, sizes=sizes)


def build_pyramid(image: torch.Tensor, sizes: list[tuple[int, int]]) -> list[torch.Tensor]:
    """Every scale resized straight from `image` (the original, or the finest scale)."""
    return [resize(image, size) for size in sizes]
