"""The injection-scale slider shared by Paint, Editing and Harmonization."""

from __future__ import annotations

from singan_lite import SinGAN
from singan_lite.tasks import default_injection_scale


def injection_range(model: SinGAN, task: str) -> tuple[int, int]:
    """(finest scale an image can enter at, the task's default scale) for the slider.

    A model with a single trained scale has nowhere to inject; the slider then sits at
    1 and the task itself explains why it cannot run.
    """
    if model.trained_scales < 2:
        return 1, 1
    return model.trained_scales - 1, default_injection_scale(model, task)
