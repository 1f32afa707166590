"""The Paint-to-image tab: a painting in the training image's own colours becomes a picture.

The canvas has the training image's size and the brush offers its dominant colours,
because SinGAN maps colours it knows onto textures it knows. The optional fine-tune
re-trains the injection scale on flat colours (minutes on a CPU), so it is done once
per model and scale and then reused.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from pathlib import Path

import numpy as np

from singan_lite import ImageError, IterationEvent, SinGAN, load_image, resize, to_uint8
from singan_lite.tasks import finetune_for_paint, paint_to_image, quantize_colours
from singan_lite.tasks.paint import FINETUNE_ITERATIONS

from ..uploads import EditorValue, editor_composite

CANVAS_STARTS = ("blank canvas", "training image", "example painting")

# (fraction done, what is happening) for a progress bar.
Progress = Callable[[float, str], object]

_tuned: weakref.WeakKeyDictionary[SinGAN, dict[tuple[int, int], SinGAN]] = weakref.WeakKeyDictionary()
_tuning_lock = threading.Lock()


def palette(model: SinGAN, scale: int) -> list[str]:
    """The training image's dominant colours at the injection scale, as '#rrggbb' brush colours."""
    colours = to_uint8(quantize_colours(model, int(scale)).T[None, :, :, None])[:, 0]
    return [f"#{red:02x}{green:02x}{blue:02x}" for red, green, blue in colours]


def canvas(model: SinGAN, start: str, example: Path | None = None) -> dict[str, object]:
    """An editor value at the training image's size: white paper, the training image, or the example."""
    if start not in CANVAS_STARTS:
        raise ValueError(f"the canvas starts from one of {CANVAS_STARTS} (got '{start}').")
    height, width = model.sizes[-1]
    if start == "training image":
        picture = to_uint8(model.training_image())
    elif start == "example painting" and example is not None:
        picture = to_uint8(resize(load_image(example), (height, width)))
    else:
        picture = np.full((height, width, 3), 255, dtype=np.uint8)
    opaque = np.full((height, width, 1), 255, dtype=np.uint8)
    return {"background": np.concatenate([picture, opaque], axis=2), "layers": [], "composite": None}


def _finetuned(model: SinGAN, scale: int, iterations: int, progress: Progress) -> SinGAN:
    """The model fine-tuned for flat colours at `scale`, trained on first use only."""

    def report(event: IterationEvent) -> None:
        progress(event.iteration / event.iterations, f"fine-tuning scale {scale} on flat colours")

    with _tuning_lock:
        per_model = _tuned.setdefault(model, {})
        if (scale, iterations) not in per_model:
            per_model[scale, iterations] = finetune_for_paint(model, scale, iterations, on_event=report)
        return per_model[scale, iterations]


def paint_image(
    model: SinGAN,
    painting: EditorValue | None,
    scale: int,
    quantize: bool,
    seed: int,
    finetune_iterations: int = FINETUNE_ITERATIONS,
    progress: Progress = lambda _fraction, _text: None,
) -> np.ndarray:
    """The painting injected at `scale`; with `quantize`, through the flat-colour fine-tuned model."""
    picture = editor_composite(painting, "a painting")
    if picture.min() == picture.max():
        raise ImageError("the canvas is blank: paint a rough layout with the palette colours first.")
    scale = int(scale)
    if quantize:
        model = _finetuned(model, scale, int(finetune_iterations), progress)
    return to_uint8(paint_to_image(model, picture, scale, quantize=quantize, seed=int(seed)))
