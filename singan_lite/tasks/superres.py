"""Super-resolution: the finest generator, applied again and again, adds the detail of one more level.

A model trained with `TrainConfig.with_super_resolution(s)` has levels r = s^(1/k) apart,
so its finest generator has learnt to turn an r-times upsampled image into a sharp one.
The same patch statistics hold one level beyond the image, so k such steps give s.
"""

from __future__ import annotations

import torch

from ..imaging import ImageSource, load_image
from ..model import SinGAN, make_rng


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
    x = low
    for step in range(1, steps + 1):
        growth = factor if step == steps else step_ratio**step
        size = (round(height * growth), round(width * growth))
        noise = model.draw_noise(finest, size, len(x), rng)
        x = model.synthesise(finest, x, [noise], stop_scale=finest)
    return x
