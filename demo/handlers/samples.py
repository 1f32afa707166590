"""The Samples tab: random images from a model, from any start scale, at any size."""

from __future__ import annotations

import numpy as np

from singan_lite import SinGAN, to_uint8
from singan_lite.model import make_rng

MAX_SAMPLES = 16
# Samples are synthesised a few at a time, so many wide samples never need memory all at once.
BATCH = 2

Captioned = tuple[np.ndarray, str]


def generate_samples(
    model: SinGAN,
    num: int,
    start_scale: int,
    stretch_h: float,
    stretch_v: float,
    seed: int,
    variety: float | None = None,
) -> list[Captioned]:
    """`num` samples; the same seed and settings always give the same images."""
    num, start_scale, seed = int(num), int(start_scale), int(seed)
    if not 1 <= num <= MAX_SAMPLES:
        raise ValueError(f"the number of samples must be between 1 and {MAX_SAMPLES} (got {num}).")
    rng = make_rng(seed)
    images = []
    for first in range(0, num, BATCH):
        batch = model.sample(min(BATCH, num - first), start_scale, stretch_h, stretch_v, rng=rng, variety=variety)
        images.extend(to_uint8(image) for image in batch)
    height, width = images[0].shape[:2]
    return [(image, f"seed {seed} · #{index + 1} · {width}×{height}") for index, image in enumerate(images)]


def max_start_scale(model: SinGAN) -> int:
    return model.trained_scales - 1
