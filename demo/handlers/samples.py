"""The Samples tab: random images from a model, from any start scale, at any size."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

from singan_lite import SinGAN, to_uint8
from singan_lite.memory import MAX_OUTPUT_PIXELS, check_output_size
from singan_lite.model import make_rng

from .outputs import PREVIEW_SIDE, Captioned, previews_and_downloads

MAX_SAMPLES = 16
# Samples are synthesised a few at a time, so many wide samples never need memory all at once.
BATCH = 2


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
    # The library limits each call, and one batch is one call, with the library's own advice. The page
    # holds and encodes every sample of a press at once, so a press of several batches gets the
    # library's limit as a whole.
    if num > BATCH:
        size = model.stretched_sizes(stretch_h, stretch_v)[model.trained_scales - 1]
        check_output_size(num, size, lambda: _fewer_samples(size))
    rng = make_rng(seed)
    images = []
    for first in range(0, num, BATCH):
        batch = model.sample(min(BATCH, num - first), start_scale, stretch_h, stretch_v, rng=rng, variety=variety)
        images.extend(to_uint8(image) for image in batch)
    height, width = images[0].shape[:2]
    return [(image, f"seed {seed} · #{index + 1} · {width}×{height}") for index, image in enumerate(images)]


def _fewer_samples(size: tuple[int, int]) -> str:
    """Advice for a press over the limit: fewer samples of this size, when even one fits."""
    fit = MAX_OUTPUT_PIXELS // math.prod(size)
    return f"ask for at most {fit} samples at this size, or a smaller stretch" if fit else "ask for a smaller stretch"


def show_samples(
    model: SinGAN,
    num: int,
    start_scale: int,
    stretch_h: float,
    stretch_v: float,
    seed: int,
    variety: float | None,
    new_folder: Callable[[], Path],
    preview_side: int = PREVIEW_SIDE,
) -> tuple[list[Captioned], list[Path]]:
    """The samples as the page shows them: (the gallery, full-size PNGs when larger than a preview)."""
    images = generate_samples(model, num, start_scale, stretch_h, stretch_v, seed, variety)
    return previews_and_downloads(images, new_folder, f"sample-seed{int(seed)}", preview_side)


def max_start_scale(model: SinGAN) -> int:
    return model.trained_scales - 1
