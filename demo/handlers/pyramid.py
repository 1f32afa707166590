"""The Pyramid explorer tab: what each scale sees, rebuilds, invents, and adds (the teaching view).

Every row is one scale, coarsest first: the real image at that scale, the model's
reconstruction of it, a random sample, and the residual the scale's generator adds
to the upsampled image from below: layout at the bottom, ever finer texture above.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from singan_lite import SinGAN, resize, to_uint8
from singan_lite.model import make_rng

from .samples import Captioned

COLUMNS = 4


def _enlarge(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Nearest-neighbour upscaling, so a coarse scale shows its real pixels at the finest size."""
    return F.interpolate(image, size=size, mode="nearest")


def explore_pyramid(model: SinGAN, seed: int) -> list[Captioned]:
    """Four captioned images per trained scale (real, reconstruction, sample, residual), row by row."""
    finest = model.sizes[model.trained_scales - 1]
    rng = make_rng(int(seed))
    tiles: list[Captioned] = []
    sample = None
    for scale in range(model.trained_scales):
        height, width = model.sizes[scale]
        noise = model.draw_noise(scale, (height, width), 1, rng)
        below = torch.zeros_like(noise) if sample is None else resize(sample, (height, width))
        sample = model.synthesise(scale, sample, [noise], stop_scale=scale)
        residual = sample - below
        gain = 1.0 / max(residual.abs().max().item(), 1e-6)
        label = f"scale {scale} ({width}×{height})"
        tiles += [
            (model.training_image(scale), f"{label}: real"),
            (model.reconstruct(scale), f"{label}: reconstruction"),
            (sample, f"{label}: sample, noise amplitude σ={model.noise_amps[scale]:.3g}"),
            (residual * gain, f"{label}: what G_{scale} adds (grey = 0, shown ×{gain:.1f})"),
        ]
    return [(to_uint8(_enlarge(image, finest)), caption) for image, caption in tiles]
