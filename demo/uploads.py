"""What visitors hand in: uploaded images (any size), and the image editor's background and strokes.

The library reads any image format; this module adds what only an app needs: a size
cap with a notice (a huge phone photo must not stall a small shared machine),
and turning gr.ImageEditor values (RGBA arrays) into images and masks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import torch

from singan_lite import ImageError, load_image, resize, to_uint8

# Receives user-facing notices (the UI passes gr.Warning; tests collect them in a list).
Notify = Callable[[str], object]

EditorValue = Mapping[str, object]

# Uploads are read at up to this size: larger than any scale SinGAN trains on or upscales.
MAX_UPLOAD_SIDE = 4096


def ignore(_message: str) -> None:
    """The default Notify: handlers called outside the app have no one to tell."""


def without_folder(message: str, source: object) -> str:
    """The library names files by their full path; a visitor should see only their own file's name."""
    if isinstance(source, (str, Path)):
        return message.replace(str(source), Path(source).name)
    return message


def read_image(source: str | Path | np.ndarray | None, max_side: int, notify: Notify, what: str) -> torch.Tensor:
    """Load an upload as (1, 3, H, W), scaled down (with a notice) if its long side exceeds `max_side`."""
    if source is None:
        raise ImageError(f"upload {what} first.")
    try:
        image = load_image(source)
    except ImageError as error:
        raise ImageError(without_folder(str(error), source)) from error
    height, width = image.shape[-2:]
    if max(height, width) > max_side:
        ratio = max_side / max(height, width)
        size = (max(1, round(height * ratio)), max(1, round(width * ratio)))
        notify(f"{what.capitalize()} is {width}×{height} px; it was scaled down to {size[1]}×{size[0]} px.")
        image = resize(image, size)
    return image


def preview(source: str | Path | None, notify: Notify = ignore) -> np.ndarray | None:
    """The upload as the app will read it, shown on upload so a bad file is explained at once."""
    if source is None:
        return None
    return to_uint8(read_image(source, MAX_UPLOAD_SIDE, notify, "the upload"))


def flatten(rgba: np.ndarray) -> np.ndarray:
    """RGBA (or RGB) uint8 -> RGB uint8 over white: transparent canvas pixels count as white paper."""
    if rgba.ndim == 2:
        return np.repeat(rgba[..., None], 3, axis=2)
    if rgba.shape[2] == 3:
        return rgba
    alpha = rgba[..., 3:4].astype(np.float64) / 255.0
    mixed = rgba[..., :3] * alpha + 255.0 * (1.0 - alpha)
    return mixed.round().astype(np.uint8)


def _array(value: object) -> np.ndarray | None:
    return None if value is None else np.asarray(value)


def editor_background(value: EditorValue | None, what: str) -> np.ndarray:
    """The image under the strokes (the uploaded composite), RGB uint8."""
    background = _array((value or {}).get("background"))
    if background is None:
        raise ImageError(f"upload or paste {what} into the editor first.")
    return flatten(background)


def editor_composite(value: EditorValue | None, what: str) -> np.ndarray:
    """Everything in the editor, strokes included, RGB uint8.

    An editor whose value was set by the app and not yet touched sends no composite;
    its background is then the whole picture (e.g. the example painting, used as it is).
    """
    value = value or {}
    composite = _array(value.get("composite"))
    if composite is None:
        composite = _array(value.get("background"))
    if composite is None:
        raise ImageError(f"paint {what} in the editor first.")
    return flatten(composite)


def editor_strokes(value: EditorValue | None) -> np.ndarray | None:
    """Where the visitor painted on any layer (alpha > 0), as a bool (H, W) array; None if nowhere."""
    layers = [np.asarray(layer) for layer in (value or {}).get("layers") or []]
    painted = [layer[..., 3] > 0 for layer in layers if layer.ndim == 3 and layer.shape[2] == 4]
    if not painted:
        return None
    region = np.logical_or.reduce(painted)
    return region if region.any() else None
