"""The Super-resolution tab: a model trained for super-resolution upscales its image, or another.

The paper trains one model per low-resolution image (its own patches are the only
high-resolution evidence there is), so the tab upscales the selected SR model's
training image by default; any other upload is accepted too, with the same texture.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from singan_lite import SinGAN, resize, to_uint8
from singan_lite.tasks import super_resolve

from ..uploads import Notify, ignore, read_image
from .outputs import PREVIEW_SIDE, preview, save_png

# The upscaled image's long side is capped here, which caps the input at this / factor: a
# 1024 px image by x4, the large outputs the library generates in bounded memory.
MAX_OUTPUT_SIDE = 4096


def upscale(
    model: SinGAN,
    image: str | Path | None,
    seed: int,
    folder: Path,
    notify: Notify = ignore,
    max_output_side: int = MAX_OUTPUT_SIDE,
    preview_side: int = PREVIEW_SIDE,
) -> tuple[tuple[np.ndarray, np.ndarray], Path]:
    """((bicubic, SinGAN) as the page shows them, the full-size SinGAN result as a PNG file in `folder`).

    The page's pair is scaled down to `preview_side` on the long side when the result is larger;
    the PNG is always the full size.
    """
    # A model not trained for super-resolution has no factor; super_resolve then says what to do.
    factor = model.config.sr_factor or 1.0
    source = model.real if image is None else read_image(image, int(max_output_side / factor), notify, "the image")
    result = super_resolve(model, source, seed=int(seed))
    full = to_uint8(result)
    path = save_png(full, Path(folder) / f"upscaled-x{factor:g}.png")
    sharp = preview(full, preview_side)
    # Bicubic straight to the shown size: a full-size one scaled down, without its memory.
    bicubic = to_uint8(resize(source, sharp.shape[:2]))
    return (bicubic, sharp), path
