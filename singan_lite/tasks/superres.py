"""Super-resolution: the finest generator, applied again and again, adds the detail of one more scale.

A model trained with `TrainConfig.with_super_resolution(s)` has scales r = s^(1/k) apart,
so its finest generator has learnt to turn an r-times upsampled image into a sharp one.
The same patch statistics hold one scale beyond the image, so k such steps give s.
"""

from __future__ import annotations

import math

import torch

from ..imaging import ImageSource, load_image
from ..memory import MAX_OUTPUT_PIXELS, check_output_size, fit_factor, out_of_memory_advice
from ..model import SinGAN, make_rng


def _smaller_input(num: int, size: tuple[int, int], factor: float, pixels: float) -> str:
    """Advice naming the largest input of the same aspect whose `num` upsampled images total at most `pixels`."""
    shrink = fit_factor(num, (round(size[0] * factor), round(size[1] * factor)), pixels)
    height, width = math.floor(size[0] * shrink), math.floor(size[1] * shrink)
    # The output is rounded to whole pixels, so the input just below may still give a pixel too many.
    while min(height, width) > 1 and num * round(height * factor) * round(width * factor) > pixels:
        height, width = height - 1, width - 1
    return f"downscale the image to at most {width}x{height} px first"


def super_resolve(model: SinGAN, image: ImageSource | None = None, seed: int | None = None) -> torch.Tensor:
    """Upsample `image` (default: the training image) by the model's factor: (N, 3, round(s H), round(s W)).

    Each of the k steps upsamples by r and lets the finest generator, with its own
    noise amplitude, restore detail; the last step lands on the exact target size.
    """
    if model.config.sr_factor is None:
        raise ValueError(
            "this model was not trained for super-resolution; train one with "
            "`python -m singan_lite train IMAGE --sr-factor 4` (TrainConfig.with_super_resolution)."
        )
    steps = model.config.sr_steps
    factor = model.config.sr_factor
    low = model.real if image is None else load_image(image).to(model.device)
    height, width = low.shape[-2:]
    finest = model.trained_scales - 1
    rng = make_rng(seed)
    step_ratio = 1 / model.config.scale_factor
    num, target = len(low), (round(height * factor), round(width * factor))
    check_output_size(num, target, lambda: _smaller_input(num, (height, width), factor, MAX_OUTPUT_PIXELS))
    half = num * target[0] * target[1] / 2
    what = f"a {target[1]}x{target[0]} px image"
    x = low
    with out_of_memory_advice(what, lambda: _smaller_input(num, (height, width), factor, half)):
        for step in range(1, steps + 1):
            growth = factor if step == steps else step_ratio**step
            size = (round(height * growth), round(width * growth))
            noise = model.draw_noise(finest, size, num, rng)
            x = model.synthesise(finest, x, [noise], stop_scale=finest)
    return x
