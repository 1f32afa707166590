"""Editing and harmonization: inject a composite, then blend the result back in under a soft mask.

Both are one procedure. The generators redraw the whole image from the injection scale
up; the soft mask keeps that redrawing where the user changed something and leaves
every other pixel exactly as it was. They differ in how far the mask grows: an edit
moves whole structures, whose surroundings must be redrawn too (radius 20), while a
harmonized object only needs its rim matched to the background (radius 7); and in
their default injection scale (see injection.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..imaging import ImageSource, load_image, load_mask, resize, soften_mask
from ..model import SinGAN
from .injection import injection_scale

EDIT_RADIUS = 20
HARMONIZE_RADIUS = 7
BLUR_SIGMA = 5.0


@dataclass(frozen=True)
class BlendResult:
    """The generator's redrawing of the whole image, its blend into the input, and the blend weight."""

    raw: torch.Tensor
    blended: torch.Tensor
    mask: torch.Tensor


def _inject_and_blend(
    model: SinGAN,
    composite: ImageSource,
    mask: ImageSource,
    task: str,
    radius: int,
    scale: int | None,
    seed: int | None,
) -> BlendResult:
    scale = injection_scale(model, task, scale)
    image = load_image(composite).to(model.device)
    # Checked before the generators run, so a bad mask fails at once.
    size = model.sizes[model.trained_scales - 1]
    weight = soften_mask(load_mask(mask, size).to(model.device), radius, BLUR_SIGMA)
    raw = model.inject(image, scale, seed=seed)
    background = resize(image, size)
    blended = (1 - weight) * background + weight * raw
    return BlendResult(raw=raw, blended=blended, mask=weight)


def edit(
    model: SinGAN, edited: ImageSource, mask: ImageSource, scale: int | None = None, seed: int | None = None
) -> BlendResult:
    """Make an edited image (pasted, moved or painted-over parts marked by `mask`) look natural.

    The edited image and the mask may have any size; both are fitted to the training image.
    """
    return _inject_and_blend(model, edited, mask, "edit", EDIT_RADIUS, scale, seed)


def harmonize(
    model: SinGAN, composite: ImageSource, mask: ImageSource, scale: int | None = None, seed: int | None = None
) -> BlendResult:
    """Re-render an object pasted into the training image (marked by `mask`) in the image's style.

    The composite and the mask may have any size; both are fitted to the training image.
    """
    return _inject_and_blend(model, composite, mask, "harmonize", HARMONIZE_RADIUS, scale, seed)
