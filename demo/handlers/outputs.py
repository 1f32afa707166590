"""Large outputs: the page shows a preview, and the full-size image downloads as a PNG.

A 4096x3072 result is a PNG of tens of megabytes. Sent to the page it would load slowly and be
shown at a fraction of its size anyway, so the page gets a copy scaled down to PREVIEW_SIDE on
its long side, and the visitor downloads the full-size PNG, written once, losslessly.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

# An image and the caption the page shows under it.
Captioned = tuple[np.ndarray, str]

# The long side of what the page shows: about a large screen's width.
PREVIEW_SIDE = 1024


def is_large(image: np.ndarray, side: int = PREVIEW_SIDE) -> bool:
    """Whether an (H, W, 3) image is larger than the page shows it."""
    return max(image.shape[:2]) > side


def preview(image: np.ndarray, side: int = PREVIEW_SIDE) -> np.ndarray:
    """The image scaled down to `side` on its long side (the image itself when it fits)."""
    if not is_large(image, side):
        return image
    picture = Image.fromarray(image)
    picture.thumbnail((side, side), Image.Resampling.LANCZOS)
    return np.asarray(picture)


def save_png(image: np.ndarray, path: Path) -> Path:
    """Write an (H, W, 3) uint8 image as a lossless PNG."""
    Image.fromarray(image).save(path)
    return path


def previews_and_downloads(
    images: list[Captioned], new_folder: Callable[[], Path], stem: str, side: int = PREVIEW_SIDE
) -> tuple[list[Captioned], list[Path]]:
    """(what the gallery shows, the full-size PNGs to download).

    Images that fit the page go to it as they are, with nothing to download: the gallery
    already serves them losslessly. Once one is larger, every image is previewed and written
    as `{stem}-{n}.png` into a folder from `new_folder()`, so the downloads match the gallery.
    """
    if not any(is_large(image, side) for image, _ in images):
        return images, []
    folder = new_folder()
    shown = [(preview(image, side), f"{caption} · preview") for image, caption in images]
    files = [save_png(image, folder / f"{stem}-{index + 1}.png") for index, (image, _) in enumerate(images)]
    return shown, files
