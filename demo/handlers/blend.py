"""The Editing and Harmonization tabs: one handler, since the tasks differ only in the library call.

The visitor brings a composite (uploaded or pasted into the editor) and marks the
changed part with brush strokes, an uploaded mask, or both; strokes and mask are
combined, so a rough uploaded mask can be touched up in the page.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from singan_lite import ImageError, SinGAN, load_image, load_mask, resize, to_uint8
from singan_lite.tasks import edit, harmonize

from ..uploads import EditorValue, editor_background, editor_strokes
from .samples import Captioned

TASKS = {"edit": edit, "harmonize": harmonize}


def _mask_image(source: np.ndarray | str | Path) -> np.ndarray | str | Path:
    """A bool stroke array becomes a black-and-white image; a mask file stays as it is."""
    return source.astype(np.uint8) * 255 if isinstance(source, np.ndarray) else source


def _region(painting: EditorValue | None, mask_file: str | Path | None, size: tuple[int, int]) -> np.ndarray:
    """Painted strokes and the uploaded mask, united, as a uint8 (H, W) mask (255 = change here)."""
    strokes = editor_strokes(painting)
    sources = [source for source in (strokes, mask_file) if source is not None]
    # Strokes come at the editor's canvas size, an uploaded mask at any size: fit both to the composite.
    parts = [load_mask(_mask_image(source), size)[0, 0].numpy() > 0 for source in sources]
    if not parts:
        raise ImageError("mark the part to fix: paint over it with the brush, or upload a mask image.")
    return np.logical_or.reduce(parts).astype(np.uint8) * 255


def blend_images(
    model: SinGAN,
    task: str,
    painting: EditorValue | None,
    mask_file: str | Path | None,
    scale: int,
    seed: int,
) -> tuple[tuple[np.ndarray, np.ndarray], list[Captioned]]:
    """((before, after) at the output size, [the generator's raw output, the soft blending mask])."""
    if task not in TASKS:
        raise ValueError(f"unknown task '{task}'; choose one of {sorted(TASKS)}.")
    composite = editor_background(painting, "a composite image")
    mask = _region(painting, mask_file, composite.shape[:2])
    result = TASKS[task](model, composite, mask, scale=int(scale), seed=int(seed))
    before = to_uint8(resize(load_image(composite), tuple(result.blended.shape[-2:])))
    extras = [
        (to_uint8(result.raw), f"generated from scale {int(scale)} up, before blending"),
        (to_uint8(result.mask.expand(-1, 3, -1, -1) * 2 - 1), "soft mask: where the generated image is used"),
    ]
    return (before, to_uint8(result.blended)), extras


def editor_value(composite: str | Path | np.ndarray | torch.Tensor, size: tuple[int, int]) -> dict:
    """An image-editor value holding the composite at the model's size, with no strokes yet.

    An example's mask goes into the separate mask input rather than in here as a stroke
    layer: Gradio 6.31 draws a layer set by the server offset (by half the change in
    canvas height) once the canvas has been resized for another model.
    """
    background = to_uint8(resize(load_image(composite), size))
    opaque = np.full((*size, 1), 255, dtype=np.uint8)
    return {"background": np.concatenate([background, opaque], axis=2), "layers": [], "composite": None}
