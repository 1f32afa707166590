"""The Super-resolution tab: a model trained for super-resolution upscales its image, or another.

The paper trains one model per low-resolution image (its own patches are the only
high-resolution evidence there is), so the tab upscales the selected SR model's
training image by default; any other upload is accepted too, with the same texture.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from singan_lite import SinGAN, resize, save_image, to_uint8
from singan_lite.tasks import super_resolve

from ..uploads import Notify, ignore, read_image

# The upscaled image's long side is capped here, which caps the input at this / factor.
MAX_OUTPUT_SIDE = 1024


def upscale(
    model: SinGAN, image: str | Path | None, seed: int, folder: Path, notify: Notify = ignore
) -> tuple[tuple[np.ndarray, np.ndarray], Path]:
    """((bicubic, SinGAN) at the upscaled size, the SinGAN result as a PNG file in `folder`)."""
    # A model not trained for super-resolution has no factor; super_resolve then says what to do.
    factor = model.config.sr_factor or 1.0
    source = model.real if image is None else read_image(image, int(MAX_OUTPUT_SIDE / factor), notify, "the image")
    result = super_resolve(model, source, seed=int(seed))
    bicubic = resize(source, tuple(result.shape[-2:]))
    path = save_image(result, Path(folder) / f"upscaled-x{factor:g}.png")
    return (to_uint8(bicubic), to_uint8(result)), path
